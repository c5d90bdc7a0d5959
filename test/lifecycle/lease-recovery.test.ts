// Leases through the real Pulumi engine where the kernel's state and the stack's part ways
// (issue 16), on the test-host VM with netdevsim NICs; the host is checked apart from our
// codec (sysfs RX queue counts).
//  - Parallel creates into a fresh pod netns: a pair, a single device with two declared
//    leases and four bindings in one `up`, each needing the nsid of the host's netns in the
//    pod's, three times over with a new netns each time (the losers of the race used to fail
//    with EEXIST, "Peer netns already has a nsid assigned").
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { NetkitPair, NetkitSingle, RxqBinding } from "../../sdk";
import { inlineStack, type TestStack } from "../support/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { addNetdevsim, netnsIds, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { hostFor } from "../../provider/resources/context";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

async function leasingHost(ctx: Mocha.Context): Promise<TestHost> {
  const host = await sharedHost();
  const f = await (await hostFor(connectionTo(host))).facts();
  if (!f.has.queueLease) skipBecause(ctx, `kernel ${f.kernelRelease} has no queue-create in the netdev genl family`);
  return host;
}

describe("lifecycle: parallel leases into a fresh pod netns (nsid allocation), with the real pulumi engine", function () {
  let host: TestHost;
  let t: TestStack;
  const ns = "nkl-fresh";
  const NSIM = 7321;
  const nic = "nkl-nic21";

  before(async function () {
    host = await leasingHost(this);
    await addNetdevsim(host, NSIM, 8, nic);
    t = await inlineStack("lease-nsid", async () => {
      const connection = connectionTo(host);
      // The pair's peer in the pod makes the kernel give the host's netns an nsid there, in
      // parallel with the leases' own assignments.
      new NetkitPair("pod", { connection, name: "nkl-pod21", peerName: "eth0", peerNetns: ns });
      const xsk = new NetkitSingle("xsk", {
        connection,
        name: "nkl-xsk21",
        netns: ns,
        leases: [
          { nic, queue: 0 },
          { nic, queue: 1 },
        ],
      });
      const spare = new NetkitSingle("spare", { connection, name: "nkl-sp21", netns: ns, numRxQueues: 5 });
      const queues = [2, 3, 4, 5].map((q) => new RxqBinding(`rxq${q}`, { device: spare, nic, nicQueue: q }).queueId);
      return { xsk: xsk.leaseQueueIds, bindings: pulumi.all(queues) };
    });
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
    await removeNetdevsim(host, NSIM);
  });

  for (const round of [1, 2, 3])
    it(`round ${round}: one up makes every lease in a netns that does not know the host's yet; destroy leaves nothing`, async function () {
      await onHost(host, ["ip", "netns", "add", ns]);
      assert.deepEqual([...(await netnsIds(host, ns)).keys()], [], "a fresh netns knows no other");
      const up = await t.stack.up();
      assert.deepEqual(up.outputs.xsk!.value, [1, 2], "the single device's two declared leases");
      assert.deepEqual([...(up.outputs.bindings!.value as number[])].sort(), [1, 2, 3, 4], "four bindings, one queue each");
      assert.equal(await rxQueueCount(host, "nkl-xsk21", ns), 3);
      assert.equal(await rxQueueCount(host, "nkl-sp21", ns), 5);
      assert.equal((await netnsIds(host, ns)).size, 1, "one nsid for the host's netns, whoever assigned it");
      await t.stack.preview({ expectNoChanges: true });
      assert.equal((await t.stack.destroy()).summary.result, "succeeded");
      await onHost(host, ["ip", "netns", "del", ns]);
    });
});
