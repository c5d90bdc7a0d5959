// Leases through the real Pulumi engine where the kernel's state and the stack's part ways,
// on the test-host VM with netdevsim NICs; the host is checked apart from our codec (sysfs RX
// queue counts).
//  - Parallel creates into a fresh pod netns: a pair, a single device with two declared
//    leases and four bindings in one `up`, each needing the nsid of the host's netns in the
//    pod's, three times over with a new netns each time (they race to assign it: a loser must
//    not fail with EEXIST, "Peer netns already has a nsid assigned").
//  - A binding dropped from state (`pulumi state delete`) and declared again adopts its lease;
//    `pulumi import` by the binding's id (the plugin, from Pulumi YAML) adopts it too.
//  - A NIC moved to another netns keeps its leases: refresh keeps the binding and the device's
//    declared leases and says where the NIC is; back in the host's netns nothing changed.
//  - Refusals name what the program declared: the capacity field by resource type
//    (peerNumRxQueues of a NetkitPair, numRxQueues of a NetkitSingle), and a busy queue's holder
//    (a device the stack does not declare: one it declares is refused at check, see
//    rxq-binding.test.ts) by device and netns name.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { NetkitPair, NetkitSingle, RxqBinding } from "../../sdk";
import { inlineStack, offlineEnv, pulumiCommand, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, linkNames, sysfs } from "../support/netkit";
import { yamlProject } from "../../harness/yaml";
import { addNetdevsim, netnsIds, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { hostFor } from "../../provider/resources/hosts";
import { netkitSingleProvider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

async function leasingHost(ctx: Mocha.Context): Promise<TestHost> {
  const host = await sharedHost();
  const f = await (await hostFor(connectionTo(host))).facts();
  if (!f.has.queueLease) skipBecause(ctx, `kernel ${f.kernelRelease} has no queue-create in the netdev genl family`);
  return host;
}

/** `pulumi ARGS` typed in the stack's work dir, as a user would. */
async function cli(t: TestStack, ...args: string[]): Promise<string> {
  const r = await promisify(execFile)((await pulumiCommand()).command, ["--non-interactive", ...args, "--stack", "test"], {
    cwd: t.workDir,
    env: { ...process.env, ...offlineEnv(t.workDir) },
  });
  return r.stdout + r.stderr;
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

describe("lifecycle: leases the kernel holds come back under management, with the real pulumi engine", function () {
  let host: TestHost;
  let t: TestStack;
  const ns = "nkl-adopt";
  const away = "nkl-away";
  const NSIM = 7322;
  const nic = "nkl-nic22";
  let hostLinksBefore: string[];

  before(async function () {
    host = await leasingHost(this);
    await addNetdevsim(host, NSIM, 4, nic);
    await onHost(host, ["ip", "netns", "add", ns]);
    await onHost(host, ["ip", "netns", "add", away]);
    hostLinksBefore = await linkNames(host);
    t = await inlineStack("lease-adopt", async () => {
      const connection = connectionTo(host);
      const xsk = new NetkitSingle("xsk", { connection, name: "nkl-xsk22", netns: ns, numRxQueues: 3, leases: [{ nic, queue: 3 }] });
      const b = new RxqBinding("rxq1", { device: xsk, nic, nicQueue: 1 });
      return { queueId: b.queueId, urn: b.urn, leases: xsk.leaseQueueIds };
    });
  });

  after(async function () {
    await onHost(host, ["ip", "netns", "exec", away, "ip", "link", "set", nic, "netns", "1"]);
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
    await onHost(host, ["ip", "netns", "del", away]);
    await removeNetdevsim(host, NSIM);
  });

  it("after `pulumi state delete` of a binding, declaring the identical binding adopts the lease the kernel holds", async function () {
    const up = await t.stack.up();
    assert.deepEqual([up.outputs.leases!.value, up.outputs.queueId!.value], [[1], 2]);
    await cli(t, "state", "delete", String(up.outputs.urn!.value), "--yes");
    const again = await t.stack.up();
    assert.deepEqual([again.summary.resourceChanges?.create, again.outputs.queueId!.value], [1, 2], JSON.stringify(again.summary.resourceChanges));
    assert.equal(await rxQueueCount(host, "nkl-xsk22", ns), 3, "no new lease: the device's queue 2 is the adopted one");
    await t.stack.preview({ expectNoChanges: true });
  });

  it("a NIC moved to another netns keeps its leases: refresh keeps the binding and the device's leases, and says where the NIC is", async function () {
    const moved = await onHost(host, ["ip", "link", "set", nic, "netns", away]);
    assert.equal(moved.exitCode, 0, moved.stderr.toString());
    assert.equal(await rxQueueCount(host, "nkl-xsk22", ns), 3, "the kernel kept both leases");
    const r = await t.stack.refresh();
    assert.deepEqual(Object.keys(r.summary.resourceChanges ?? {}), ["same"], JSON.stringify(r.summary.resourceChanges));
    assert.match(r.stdout, new RegExp(`${nic} is in netns ${away} now, not in the host's; the kernel keeps its leases there, so the binding keeps this one`));
    await t.stack.preview({ expectNoChanges: true });
  });

  it("back in the host's netns, refresh and preview find nothing changed", async function () {
    await onHost(host, ["ip", "netns", "exec", away, "ip", "link", "set", nic, "netns", "1"]);
    await onHost(host, ["ip", "link", "set", nic, "up"]);
    const r = await t.stack.refresh();
    assert.deepEqual(Object.keys(r.summary.resourceChanges ?? {}), ["same"], JSON.stringify(r.summary.resourceChanges));
    await t.stack.preview({ expectNoChanges: true });
  });

  it("`pulumi import` of the lease by its id (through the plugin); the program declaring it previews no changes", async function () {
    const decl = `resources:\n  adopted:\n    type: netkit:index:RxqBinding\n    properties:\n      deviceName: nkl-xsk22\n      netns: ${ns}\n      nic: ${nic}\n      nicQueue: 1\n`;
    const p = await yamlProject("yaml-import-lease", host, decl);
    try {
      const out = await p.pulumi(
        "import",
        "netkit:index:RxqBinding",
        "adopted",
        `${host.host}:${host.port}/${ns}/nkl-xsk22/rxq-${nic}-1`,
        "--yes",
        "--generate-code=false",
        "--protect=false",
      );
      assert.match(out, /1 imported/);
      assert.equal(await rxQueueCount(host, "nkl-xsk22", ns), 3, "import changes nothing");
      await p.pulumi("preview", "--expect-no-changes");
      assert.match(await p.pulumi("destroy", "--yes"), /stays until nkl-xsk22 .* is deleted or replaced/);
    } finally {
      p.cleanup();
    }
  });

  it("destroy leaves the host as it was", async function () {
    assert.equal((await t.stack.destroy()).summary.result, "succeeded");
    assert.deepEqual(await linkNames(host), hostLinksBefore);
  });
});

describe("lifecycle: lease refusals name what the program declared, with the real pulumi engine", function () {
  let host: TestHost;
  let t: TestStack;
  const ns = "nkl-msg";
  const other = "nkl-msg2";
  const NSIM = 7323;
  const nic = "nkl-nic23";
  // The busy queue's binding is declared by the second test: its refusal comes from check,
  // which ends the engine's run before the capacity refusals of the first would come.
  const declare = { busy: false };

  before(async function () {
    host = await leasingHost(this);
    await addNetdevsim(host, NSIM, 4, nic);
    await onHost(host, ["ip", "netns", "add", ns]);
    await onHost(host, ["ip", "netns", "add", other]);
    t = await inlineStack("lease-messages", async () => {
      const connection = connectionTo(host);
      const pair = new NetkitPair("pod", { connection, name: "nkl-pod23", peerName: "eth0", peerNetns: ns, peerNumRxQueues: 1 });
      new RxqBinding("toPeer", { device: pair, nic, nicQueue: 0 });
      const single = new NetkitSingle("small", { connection, name: "nkl-sm23", netns: ns, numRxQueues: 1 });
      new RxqBinding("toSingle", { device: single, nic, nicQueue: 1 });
      if (declare.busy) {
        const wants = new NetkitSingle("wants", { connection, name: "nkl-want23", netns: ns, numRxQueues: 2 });
        new RxqBinding("busy", { device: wants, nic, nicQueue: 2 });
      }
      return {};
    });
    // A lease the stack does not declare (one it declares is refused at check: one lease has one owner).
    await netkitSingleProvider.create(checked(netkitSingleDefinition, { connection: connectionTo(host), name: "nkl-hold23", netns: other, leases: [{ nic, queue: 2 }] }) as never);
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
    await onHost(host, ["ip", "netns", "del", other]);
    await removeNetdevsim(host, NSIM);
  });

  it("capacity by resource type, each named by its resource's field", async function () {
    // Every refusal, not only the first: the engine stops at the first error otherwise.
    const err = await t.stack.up({ continueOnError: true }).then(
      () => assert.fail("up must fail"),
      (e: unknown) => (e as Error).message,
    );
    assert.match(
      err,
      /eth0 \(netns \/run\/netns\/nkl-msg\) has no spare RX queue: its capacity \(NetkitPair peerNumRxQueues\) is 1.*set peerNumRxQueues = 1 \+ the number of leases/,
    );
    assert.match(
      err,
      /nkl-sm23 \(netns \/run\/netns\/nkl-msg\) has no spare RX queue: its capacity \(NetkitSingle numRxQueues\) is 1.*set numRxQueues = 1 \+ the number of leases/,
    );
  });

  it("a queue another device leases: preview refuses it, naming the holder by device and netns name, and changes nothing", async function () {
    declare.busy = true;
    const err = await t.stack.preview().then(
      () => assert.fail("preview must fail"),
      (e: unknown) => (e as Error).message,
    );
    assert.equal(await sysfs(host, "nkl-want23", ns), undefined, "preview must not touch the host");
    const holder = await onHost(host, ["ip", "netns", "exec", other, "cat", "/sys/class/net/nkl-hold23/ifindex"]);
    const nsid = [...(await netnsIds(host)).entries()].find(([, name]) => name === other)?.[0];
    assert.match(
      err,
      new RegExp(`${nic} RX queue 2 is already leased to nkl-hold23 in netns ${other} \\(ifindex ${holder.stdout.toString().trim()}, nsid ${String(nsid)}\\) as its queue 1`),
    );
  });
});
