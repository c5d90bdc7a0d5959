// The examples' programs through the real Pulumi engine against the test-host VM:
// up → in-place update → replacement → refresh after out-of-band change and deletion → destroy.
import assert from "node:assert/strict";
import { pairIntoNetns } from "../../examples/pair-into-netns/program";
import { singleDevice } from "../../examples/single-device/program";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import type { TestHost } from "../../testhost";

describe("lifecycle: NetkitPair + NetkitSingle with the real pulumi engine", function () {
  let host: TestHost;
  let t: TestStack;
  const ns = "nkl-pod";
  const cfg: { mtu: number; headroom?: number } = { mtu: 1500 };
  let hostLinksBefore: string[];
  let nsLinksBefore: string[];

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
    hostLinksBefore = await linkNames(host);
    nsLinksBefore = await linkNames(host, ns);
    t = await inlineStack("netkit-lifecycle", async () => {
      const pair = pairIntoNetns({ connection: connectionTo(host), netns: ns, ...cfg });
      const single = singleDevice({ connection: connectionTo(host), netns: ns });
      return { pairIfindex: pair.ifindex, peerIfindex: pair.peerIfindex, singleIfindex: single.ifindex, pairMac: pair.macAddress };
    });
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
  });

  it("preview plans two creates and touches nothing", async function () {
    const p = await t.stack.preview({ diff: true });
    assert.equal(p.changeSummary.create, 3, JSON.stringify(p.changeSummary)); // stack + 2
    assert.deepEqual(await linkNames(host), hostLinksBefore);
  });

  it("up creates the pair (peer in the pod netns) and the single device", async function () {
    const r = await t.stack.up();
    assert.equal(r.summary.result, "succeeded");
    const p = await sysfs(host, "nk-pod1");
    const q = await sysfs(host, "eth0", ns);
    const s = await sysfs(host, "nk-xsk0", ns);
    assert.equal(p?.ifindex, String(r.outputs.pairIfindex!.value));
    assert.equal(q?.ifindex, String(r.outputs.peerIfindex!.value));
    assert.equal(s?.ifindex, String(r.outputs.singleIfindex!.value));
    assert.equal(r.outputs.pairMac?.value, undefined, "an l3 pair reports no MAC address");
    assert.equal((await t.stack.preview({ expectNoChanges: true })).changeSummary.same, 3);
  });

  it("changing the MTU is an in-place update: 1 update, 0 replaces, same device", async function () {
    const before = await sysfs(host, "nk-pod1");
    cfg.mtu = 9000;
    const p = await t.stack.preview({ diff: true });
    assert.equal(p.changeSummary.update, 1, JSON.stringify(p.changeSummary));
    assert.equal(p.changeSummary.replace, undefined, JSON.stringify(p.changeSummary));
    assert.match(p.stdout, /mtu\s*:\s*1500 => 9000/);
    assert.equal((await sysfs(host, "nk-pod1"))?.mtu, "1500", "preview must not touch the host");
    await t.stack.up();
    const after = await sysfs(host, "nk-pod1");
    assert.deepEqual([after?.mtu, after?.ifindex], ["9000", before?.ifindex]);
    assert.equal((await sysfs(host, "eth0", ns))?.mtu, "9000");
  });

  it("changing the headroom replaces the pair: exactly 1 replace", async function () {
    const before = await sysfs(host, "nk-pod1");
    cfg.headroom = 64;
    const p = await t.stack.preview({ diff: true });
    assert.equal(p.changeSummary.replace, 1, JSON.stringify(p.changeSummary));
    assert.equal(p.changeSummary.update, undefined, JSON.stringify(p.changeSummary));
    assert.match(p.stdout, /headroom/);
    const r = await t.stack.up();
    assert.equal(r.summary.resourceChanges?.replace, 1);
    const after = await sysfs(host, "nk-pod1");
    assert.ok(after && after.ifindex !== before?.ifindex, "a new device");
    assert.equal(after.ifindex, String(r.outputs.pairIfindex!.value));
  });

  it("refresh picks up an out-of-band change; the next up reverts it", async function () {
    await onHost(host, ["ip", "link", "set", "nk-pod1", "mtu", "1400"]);
    await t.stack.refresh();
    const p = await t.stack.preview({ diff: true });
    assert.equal(p.changeSummary.update, 1, JSON.stringify(p.changeSummary));
    assert.match(p.stdout, /mtu\s*:\s*1400 => 9000/);
    await t.stack.up();
    assert.equal((await sysfs(host, "nk-pod1"))?.mtu, "9000");
  });

  it("refresh drops a device deleted out of band; the next up recreates it", async function () {
    await onHost(host, ["ip", "netns", "exec", ns, "ip", "link", "del", "nk-xsk0"]);
    const r = await t.stack.refresh();
    assert.equal(r.summary.resourceChanges?.delete, 1, JSON.stringify(r.summary.resourceChanges));
    const up = await t.stack.up();
    assert.equal(up.summary.resourceChanges?.create, 1);
    assert.ok(await sysfs(host, "nk-xsk0", ns));
  });

  it("destroy leaves the host as it was", async function () {
    const r = await t.stack.destroy();
    assert.equal(r.summary.result, "succeeded");
    assert.deepEqual(await linkNames(host), hostLinksBefore);
    assert.deepEqual(await linkNames(host, ns), nsLinksBefore);
  });
});
