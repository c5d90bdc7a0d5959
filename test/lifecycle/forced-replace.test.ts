// `pulumi up --replace URN` (a forced replacement, the way out when a lease must end) through
// the real engine, on the test-host VM with a netdevsim NIC. The engine asks no provider
// about a forced replacement: without the deleteBeforeReplace resource option it creates the
// new device first, whose name the old one still has (EEXIST). The TypeScript classes set the
// option; a Pulumi YAML program must, and one that does not fails just so (asserted here, so
// that README's advice is known to be needed).
//  - TypeScript: a pair, a single device, and a single device with declared leases and a
//    binding: each forced replacement makes a new device (new ifindex) with its leases again.
//  - YAML (the provider plugin): the same three with `options: deleteBeforeReplace: true`,
//    and a pair without it, which fails with EEXIST and leaves the old pair in place.
import assert from "node:assert/strict";
import { NetkitPair, NetkitSingle, RxqBinding } from "../../sdk";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { yamlProject, type YamlProject } from "../../harness/yaml";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import { addNetdevsim, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { hostFor } from "../../provider/resources/hosts";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

describe("lifecycle: forced replacement (pulumi up --replace) of every device, with the real pulumi engine", function () {
  let host: TestHost;
  let leasing = false;
  const ns = "nkr-pod";
  const NSIM = 7331;
  const nic = "nkr-nic0";
  let hostLinksBefore: string[];

  before(async function () {
    host = await sharedHost();
    const f = await (await hostFor(connectionTo(host))).facts();
    if (!f.has.queueLease) skipBecause(this, `kernel ${f.kernelRelease} has no queue-create in the netdev genl family`);
    leasing = true;
    await addNetdevsim(host, NSIM, 8, nic);
    await onHost(host, ["ip", "netns", "add", ns]);
    hostLinksBefore = await linkNames(host);
  });

  after(async function () {
    if (!leasing) return;
    await onHost(host, ["ip", "netns", "del", ns]);
    await removeNetdevsim(host, NSIM);
  });

  describe("TypeScript SDK (delete before replace by default)", function () {
    let t: TestStack;
    before(async function () {
      t = await inlineStack("forced-replace", async () => {
        const connection = connectionTo(host);
        const pair = new NetkitPair("pair", { connection, name: "nkr-pair", peerName: "eth0", peerNetns: ns });
        const single = new NetkitSingle("single", { connection, name: "nkr-single", netns: ns });
        const xsk = new NetkitSingle("xsk", {
          connection,
          name: "nkr-xsk",
          netns: ns,
          numRxQueues: 4,
          leases: [
            { nic, queue: 0 },
            { nic, queue: 1 },
          ],
        });
        const b = new RxqBinding("rxq2", { device: xsk, nic, nicQueue: 2 });
        return { pair: pair.urn, single: single.urn, xsk: xsk.urn, xskLeases: xsk.leaseQueueIds, bound: b.queueId };
      });
    });
    after(async function () {
      await t?.stack.destroy().catch(() => undefined);
      t?.cleanup();
    });

    it("up, then --replace of the pair makes a new pair under the same names", async function () {
      await t.stack.up();
      const before = await sysfs(host, "nkr-pair");
      const up = await t.stack.up({ replace: [String((await t.stack.outputs()).pair!.value)] });
      assert.equal(up.summary.resourceChanges?.replace, 1, JSON.stringify(up.summary.resourceChanges));
      const after = await sysfs(host, "nkr-pair");
      assert.ok(after && after.ifindex !== before?.ifindex, "a new primary");
      assert.ok(await sysfs(host, "eth0", ns), "its peer in the pod");
      await t.stack.preview({ expectNoChanges: true });
    });

    it("--replace of a single device makes a new one", async function () {
      const before = await sysfs(host, "nkr-single", ns);
      const up = await t.stack.up({ replace: [String((await t.stack.outputs()).single!.value)] });
      assert.equal(up.summary.resourceChanges?.replace, 1, JSON.stringify(up.summary.resourceChanges));
      assert.notEqual((await sysfs(host, "nkr-single", ns))?.ifindex, before?.ifindex);
      await t.stack.preview({ expectNoChanges: true });
    });

    it("--replace of a device with leases ends them with the old device and leases them again, its binding too", async function () {
      const before = await sysfs(host, "nkr-xsk", ns);
      const up = await t.stack.up({ replace: [String((await t.stack.outputs()).xsk!.value)] });
      assert.equal(up.summary.resourceChanges?.replace, 2, `the device and its binding: ${JSON.stringify(up.summary.resourceChanges)}`);
      assert.notEqual((await sysfs(host, "nkr-xsk", ns))?.ifindex, before?.ifindex);
      assert.deepEqual([up.outputs.xskLeases!.value, up.outputs.bound!.value], [[1, 2], 3]);
      assert.equal(await rxQueueCount(host, "nkr-xsk", ns), 4, "queue 0 + the two declared leases + the binding's");
      await t.stack.preview({ expectNoChanges: true });
      assert.equal((await t.stack.destroy()).summary.result, "succeeded");
      assert.deepEqual(await linkNames(host), hostLinksBefore);
    });
  });

  describe("Pulumi YAML with the provider plugin (the program sets deleteBeforeReplace)", function () {
    let p: YamlProject;
    const urn = (name: string, type: string) => `urn:pulumi:test::yaml-replace::netkit:index:${type}::${name}`;
    before(async function () {
      const dbr = "    options:\n      deleteBeforeReplace: true\n";
      p = await yamlProject(
        "yaml-replace",
        host,
        "resources:\n" +
          `  pair:\n    type: netkit:index:NetkitPair\n    properties:\n      name: nkr-ypair\n      peerName: eth1\n      peerNetns: ${ns}\n${dbr}` +
          `  single:\n    type: netkit:index:NetkitSingle\n    properties:\n      name: nkr-ysingle\n      netns: ${ns}\n${dbr}` +
          `  xsk:\n    type: netkit:index:NetkitSingle\n    properties:\n      name: nkr-yxsk\n      netns: ${ns}\n      leases:\n        - nic: ${nic}\n          queue: 4\n${dbr}` +
          `  plain:\n    type: netkit:index:NetkitPair\n    properties:\n      name: nkr-yplain\n      peerName: eth2\n      peerNetns: ${ns}\n`,
      );
    });
    after(async function () {
      await p?.pulumi("destroy", "--yes").catch(() => undefined);
      p?.cleanup();
    });

    it("--replace of a pair, a single and a device with leases, each declared with deleteBeforeReplace", async function () {
      await p.pulumi("up", "--yes");
      for (const [name, type, dev, netns] of [
        ["pair", "NetkitPair", "nkr-ypair", undefined],
        ["single", "NetkitSingle", "nkr-ysingle", ns],
        ["xsk", "NetkitSingle", "nkr-yxsk", ns],
      ] as const) {
        const before = await sysfs(host, dev, netns);
        const out = await p.pulumi("up", "--yes", "--replace", urn(name, type));
        assert.match(out, /1 replaced/, out);
        assert.notEqual((await sysfs(host, dev, netns))?.ifindex, before?.ifindex, `${name}: a new device`);
      }
      assert.equal(await rxQueueCount(host, "nkr-yxsk", ns), 2, "the new device leased its queue again");
      await p.pulumi("preview", "--expect-no-changes");
    });

    it("without deleteBeforeReplace the engine creates first: EEXIST, and the old pair stays", async function () {
      const before = await sysfs(host, "nkr-yplain");
      await assert.rejects(p.pulumi("up", "--yes", "--replace", urn("plain", "NetkitPair")), /EEXIST/);
      assert.equal((await sysfs(host, "nkr-yplain"))?.ifindex, before?.ifindex);
      await p.pulumi("destroy", "--yes");
      assert.deepEqual(await linkNames(host), hostLinksBefore);
    });
  });
});
