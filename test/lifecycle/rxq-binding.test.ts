// The AF_XDP example through the real Pulumi engine against the test-host VM with a
// netdevsim NIC: up → no-op preview → replacing the device re-leases its queues → removing
// one binding alone is refused → refresh after the device vanished → destroy. The host is
// checked after every step (sysfs RX queue counts, links), independently of our codec.
import assert from "node:assert/strict";
import { afXdpQueues } from "../../examples/af-xdp-queues/program";
import { inlineStack, type TestStack } from "../support/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import { addNetdevsim, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { hostFor } from "../../provider/resources/context";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

describe("lifecycle: RxqBinding (AF_XDP example) with the real pulumi engine", function () {
  let host: TestHost;
  let t: TestStack;
  const ns = "nkl-xdp";
  const NSIM = 7311;
  const cfg: { queues: number[]; headroom?: number } = { queues: [1, 2] };
  let hostLinksBefore: string[];
  let nsLinksBefore: string[];

  before(async function () {
    host = await sharedHost();
    const f = await (await hostFor(connectionTo(host))).facts();
    if (!f.has.queueLease) skipBecause(this, `kernel ${f.kernelRelease} has no queue-create in the netdev genl family`);
    await addNetdevsim(host, NSIM, 4, "nkl-nic0");
    await onHost(host, ["ip", "netns", "add", ns]);
    hostLinksBefore = await linkNames(host);
    nsLinksBefore = await linkNames(host, ns);
    t = await inlineStack("rxq-lifecycle", async () => {
      const o = afXdpQueues({ connection: connectionTo(host), netns: ns, nic: "nkl-nic0", ...cfg });
      return { ...o };
    });
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
    await removeNetdevsim(host, NSIM);
  });

  it("up creates the pod pair, the XDP device and leases two NIC queues to it", async function () {
    const r = await t.stack.up();
    assert.equal(r.summary.result, "succeeded");
    assert.equal(r.summary.resourceChanges?.create, 5, JSON.stringify(r.summary.resourceChanges)); // stack + 4
    // The two bindings are created in parallel: which gets queue 1 is the kernel's call.
    assert.deepEqual([...(r.outputs.xskQueues!.value as number[])].sort(), [1, 2]);
    assert.equal(typeof r.outputs.hostNetnsId!.value, "number", "the pod netns knows the host's by an nsid");
    assert.equal((await sysfs(host, "nk-xsk", ns))?.ifindex, String(r.outputs.xskIfindex!.value));
    assert.equal(await rxQueueCount(host, "nk-xsk", ns), 3, "queue 0 + two leases");
    assert.equal((await t.stack.preview({ expectNoChanges: true })).changeSummary.same, 5);
    const refreshed = await t.stack.refresh();
    assert.equal(refreshed.summary.resourceChanges?.delete, undefined, "refresh finds both leases");
  });

  it("replacing the device (new headroom) re-creates its bindings on the new device", async function () {
    const before = await sysfs(host, "nk-xsk", ns);
    cfg.headroom = 64;
    const p = await t.stack.preview({ diff: true });
    assert.equal(p.changeSummary.replace, 1, JSON.stringify(p.changeSummary));
    const r = await t.stack.up();
    assert.equal(r.summary.result, "succeeded");
    assert.equal(r.summary.resourceChanges?.replace, 3, JSON.stringify(r.summary.resourceChanges));
    const after = await sysfs(host, "nk-xsk", ns);
    assert.ok(after && after.ifindex !== before?.ifindex, "a new device");
    assert.equal(after.ifindex, String(r.outputs.xskIfindex!.value));
    assert.deepEqual([...(r.outputs.xskQueues!.value as number[])].sort(), [1, 2]);
    assert.equal(await rxQueueCount(host, "nk-xsk", ns), 3, "both queues leased to the new device");
    assert.equal((await t.stack.preview({ expectNoChanges: true })).changeSummary.same, 5);
  });

  it("removing one binding while its device stays is refused, and nothing changes", async function () {
    cfg.queues = [1];
    await assert.rejects(t.stack.up(), (e: Error) => (assert.match(e.message, /the kernel has no operation that releases one lease/), true));
    assert.equal(await rxQueueCount(host, "nk-xsk", ns), 3, "the lease is still there");
    cfg.queues = [1, 2];
    assert.equal((await t.stack.preview({ expectNoChanges: true })).changeSummary.same, 5, "the binding stayed in state");
  });

  it("refresh drops the bindings of a device deleted out of band; the next up restores all three", async function () {
    await onHost(host, ["ip", "netns", "exec", ns, "ip", "link", "del", "nk-xsk"]);
    const r = await t.stack.refresh();
    assert.equal(r.summary.resourceChanges?.delete, 3, JSON.stringify(r.summary.resourceChanges));
    const up = await t.stack.up();
    assert.equal(up.summary.resourceChanges?.create, 3, JSON.stringify(up.summary.resourceChanges));
    assert.equal(await rxQueueCount(host, "nk-xsk", ns), 3);
  });

  it("destroy removes devices and bindings together and leaves the host as it was", async function () {
    const r = await t.stack.destroy();
    assert.equal(r.summary.result, "succeeded");
    assert.deepEqual(await linkNames(host), hostLinksBefore);
    assert.deepEqual(await linkNames(host, ns), nsLinksBefore);
    // The NIC's queues are free again: a fresh stack leases the same ones.
    const again = await t.stack.up();
    assert.deepEqual([...(again.outputs.xskQueues!.value as number[])].sort(), [1, 2]);
    assert.equal((await t.stack.destroy()).summary.result, "succeeded");
  });
});
