// Leases through the real Pulumi engine against the test-host VM with a netdevsim NIC; the
// host is checked after every step (sysfs RX queue counts, links), independently of our codec.
//  - Leases declared on the device (the AF_XDP example): up → no-op preview → changing the
//    list previews as the device's replacement and up does exactly that → refresh after the
//    device vanished → destroy leaves nothing.
//  - RxqBinding, the per-lease resource: it follows its device (an update in place of the
//    device previews as nothing for it, a replacement as its replacement), removing one
//    previews as a delete and up does that (the lease stays with its device, said in a
//    warning), declaring it again adopts the lease, and a binding written without `device`
//    (no deletedWith, no replaceWith: as in YAML) is replaced with its device and destroys
//    cleanly too; a second binding for a queue the stack leases is refused by preview and up.
//  - A binding in Pulumi YAML (the plugin) that takes its device's ifindex: the device's
//    update in place previews as nothing for it, as up does; twins are refused naming the
//    holder; after `pulumi state delete` the binding adopts its lease again.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afXdpQueues } from "../../examples/af-xdp-queues/program";
import { NetkitSingle, RxqBinding } from "../../sdk";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { yamlProject, type YamlProject } from "../../harness/yaml";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import { addNetdevsim, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { hostFor } from "../../provider/resources/hosts";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

async function leasingHost(ctx: Mocha.Context): Promise<TestHost> {
  const host = await sharedHost();
  const f = await (await hostFor(connectionTo(host))).facts();
  if (!f.has.queueLease) skipBecause(ctx, `kernel ${f.kernelRelease} has no queue-create in the netdev genl family`);
  return host;
}

describe("lifecycle: leases declared on the device (AF_XDP example) with the real pulumi engine", function () {
  let host: TestHost;
  let t: TestStack;
  const ns = "nkl-xdp";
  const NSIM = 7311;
  const cfg: { queues: number[]; headroom?: number } = { queues: [2, 1] };
  let hostLinksBefore: string[];
  let nsLinksBefore: string[];

  before(async function () {
    host = await leasingHost(this);
    await addNetdevsim(host, NSIM, 4, "nkl-nic0");
    await onHost(host, ["ip", "netns", "add", ns]);
    hostLinksBefore = await linkNames(host);
    nsLinksBefore = await linkNames(host, ns);
    t = await inlineStack("rxq-lifecycle", async () => ({ ...afXdpQueues({ connection: connectionTo(host), netns: ns, nic: "nkl-nic0", ...cfg }) }));
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
    await removeNetdevsim(host, NSIM);
  });

  it("up creates the pod pair and the XDP device with room for its two leases, in the declared order", async function () {
    const r = await t.stack.up();
    assert.equal(r.summary.resourceChanges?.create, 3, JSON.stringify(r.summary.resourceChanges)); // stack + 2
    assert.deepEqual(r.outputs.xskQueues!.value, [1, 2], "NIC queue 2 is the device's queue 1, NIC queue 1 its queue 2");
    assert.equal((await sysfs(host, "nk-xsk", ns))?.ifindex, String(r.outputs.xskIfindex!.value));
    assert.equal(await rxQueueCount(host, "nk-xsk", ns), 3, "queue 0 + two leases");
    await t.stack.preview({ expectNoChanges: true });
    const refreshed = await t.stack.refresh();
    assert.deepEqual(Object.keys(refreshed.summary.resourceChanges ?? {}), ["same"], "refresh finds both leases");
  });

  it("changing a lease previews as the device's replacement, and up does exactly that", async function () {
    const before = await sysfs(host, "nk-xsk", ns);
    cfg.queues = [1, 3];
    const p = await t.stack.preview({ diff: true });
    assert.deepEqual(
      [p.changeSummary.replace, p.changeSummary.update, p.changeSummary.create, p.changeSummary.delete],
      [1, undefined, undefined, undefined],
      JSON.stringify(p.changeSummary),
    );
    assert.match(p.stdout, /leases/);
    const r = await t.stack.up();
    assert.deepEqual(r.summary.resourceChanges, { replace: 1, same: 2 }, JSON.stringify(r.summary.resourceChanges));
    const after = await sysfs(host, "nk-xsk", ns);
    assert.ok(after && after.ifindex !== before?.ifindex, "a new device");
    assert.deepEqual(r.outputs.xskQueues!.value, [1, 2]);
    assert.equal(await rxQueueCount(host, "nk-xsk", ns), 3, "the new device holds the two new leases; the old ones ended with the old device");
    await t.stack.preview({ expectNoChanges: true });
  });

  it("refresh drops a device deleted out of band; the next up restores it with its leases", async function () {
    await onHost(host, ["ip", "netns", "exec", ns, "ip", "link", "del", "nk-xsk"]);
    const r = await t.stack.refresh();
    assert.equal(r.summary.resourceChanges?.delete, 1, JSON.stringify(r.summary.resourceChanges));
    const up = await t.stack.up();
    assert.equal(up.summary.resourceChanges?.create, 1, JSON.stringify(up.summary.resourceChanges));
    assert.equal(await rxQueueCount(host, "nk-xsk", ns), 3);
  });

  it("destroy leaves the host as it was, and the NIC's queues free for the next stack", async function () {
    assert.equal((await t.stack.destroy()).summary.result, "succeeded");
    assert.deepEqual(await linkNames(host), hostLinksBefore);
    assert.deepEqual(await linkNames(host, ns), nsLinksBefore);
    const again = await t.stack.up();
    assert.deepEqual(again.outputs.xskQueues!.value, [1, 2]);
    assert.equal((await t.stack.destroy()).summary.result, "succeeded");
  });
});

describe("lifecycle: RxqBinding follows its device, with the real pulumi engine", function () {
  let host: TestHost;
  let t: TestStack;
  const ns = "nkl-xdp2";
  const NSIM = 7312;
  const cfg = { mtu: 1500, headroom: 0, second: true, twin: false };
  let hostLinksBefore: string[];
  let nsLinksBefore: string[];

  before(async function () {
    host = await leasingHost(this);
    await addNetdevsim(host, NSIM, 4, "nkl-nic1");
    await onHost(host, ["ip", "netns", "add", ns]);
    hostLinksBefore = await linkNames(host);
    nsLinksBefore = await linkNames(host, ns);
    t = await inlineStack("rxq-binding", async () => {
      const connection = connectionTo(host);
      const xsk = new NetkitSingle("xsk", { connection, name: "nk-xsk2", netns: ns, numRxQueues: 3, mtu: cfg.mtu, headroom: cfg.headroom });
      const first = new RxqBinding("first", { device: xsk, nic: "nkl-nic1", nicQueue: 0 });
      // Written as in YAML, without `device`: no deletedWith, no replaceWith.
      const second = cfg.second ? new RxqBinding("second", { connection, deviceName: xsk.name, netns: ns, nic: "nkl-nic1", nicQueue: 3 }, { dependsOn: [first] }) : undefined;
      // A second resource for the lease `first` holds: one lease has one owner. (Checked after
      // `first`, so that the refusal names it: the later claimant is the one refused.)
      if (cfg.twin) new RxqBinding("twin", { device: xsk, nic: "nkl-nic1", nicQueue: 0 }, { dependsOn: [first] });
      return { ifindex: xsk.ifindex, first: first.queueId, second: second?.queueId ?? pulumi.output(-1) };
    });
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
    await removeNetdevsim(host, NSIM);
  });

  it("up leases two queues; an update in place of the device previews as nothing for its bindings", async function () {
    const r = await t.stack.up();
    assert.deepEqual([r.outputs.first!.value, r.outputs.second!.value], [1, 2]);
    cfg.mtu = 4000;
    const p = await t.stack.preview({ diff: true });
    assert.deepEqual([p.changeSummary.update, p.changeSummary.replace, p.changeSummary.same], [1, undefined, 3], JSON.stringify(p.changeSummary));
    const up = await t.stack.up();
    assert.deepEqual(up.summary.resourceChanges, { update: 1, same: 3 }, JSON.stringify(up.summary.resourceChanges));
    await t.stack.preview({ expectNoChanges: true });
  });

  it("a replacement of the device replaces both bindings in the same update, and each leases again", async function () {
    cfg.headroom = 64;
    const p = await t.stack.preview({ diff: true });
    // `first` follows by replaceWith; `second` because its deviceName comes from the device,
    // whose replacement (delete before create) makes the engine replace what depends on it.
    assert.equal(p.changeSummary.replace, 3, JSON.stringify(p.changeSummary));
    const up = await t.stack.up();
    assert.equal(up.summary.resourceChanges?.replace, 3, JSON.stringify(up.summary.resourceChanges));
    assert.deepEqual([up.outputs.first!.value, up.outputs.second!.value], [1, 2]);
    assert.equal(await rxQueueCount(host, "nk-xsk2", ns), 3);
    await t.stack.preview({ expectNoChanges: true });
    const r = await t.stack.refresh();
    assert.deepEqual(Object.keys(r.summary.resourceChanges ?? {}), ["same"], "both leases are the new device's");
  });

  it("removing a binding previews as its delete and up does that: the lease stays with its device; declared again, it is adopted", async function () {
    cfg.second = false;
    const p = await t.stack.preview({ diff: true });
    assert.deepEqual([p.changeSummary.delete, p.changeSummary.same], [1, 3], JSON.stringify(p.changeSummary));
    const up = await t.stack.up();
    assert.equal(up.summary.resourceChanges?.delete, 1);
    assert.match(up.stdout, /stays until nk-xsk2 .* is deleted or replaced: the kernel has no operation that releases one lease/);
    assert.equal(await rxQueueCount(host, "nk-xsk2", ns), 3, "the lease is still the device's");
    cfg.second = true;
    const back = await t.stack.up();
    assert.deepEqual([back.summary.resourceChanges?.create, back.outputs.second!.value], [1, 2], "the lease the device holds is adopted, not refused");
    assert.equal(await rxQueueCount(host, "nk-xsk2", ns), 3, "no new lease was made");
  });

  it("a second binding for a queue the stack leases already: preview and up refuse it naming the first, and change nothing", async function () {
    cfg.twin = true;
    try {
      const refused = /nicQueue.*nkl-nic1 RX queue 0 is declared by RxqBinding "first" of this stack too: one lease has one owner/;
      await assert.rejects(t.stack.preview(), refused);
      await assert.rejects(t.stack.up(), refused);
      assert.equal(await rxQueueCount(host, "nk-xsk2", ns), 3, "no change on the host");
    } finally {
      cfg.twin = false;
    }
    await t.stack.preview({ expectNoChanges: true });
  });

  it("destroy succeeds with both bindings and leaves the host as it was", async function () {
    assert.equal((await t.stack.destroy()).summary.result, "succeeded");
    assert.deepEqual(await linkNames(host), hostLinksBefore);
    assert.deepEqual(await linkNames(host, ns), nsLinksBefore);
  });
});

// A binding in Pulumi YAML, through the provider plugin and the pulumi CLI, taking its device's
// name, netns and ifindex from the device's outputs: an update in place of the device previews
// as nothing for the binding, and up does just that (the plugin answers the engine's preview of
// an update with the outputs it keeps: the ifindex survives an MTU or up/down change); a second
// resource for a queue the stack leases is refused at preview, naming the first; and after
// `pulumi state delete` the binding declared again adopts its lease.
describe("lifecycle: an RxqBinding in Pulumi YAML (provider plugin): preview equals up, one lease one owner", function () {
  let host: TestHost;
  let p: YamlProject;
  const ns = "nkl-yaml";
  const NSIM = 7313;
  const nic = "nkl-nic3";
  const program = (o: { mtu?: number; up?: boolean; twin?: number } = {}) =>
    "resources:\n" +
    `  xsk:\n    type: netkit:index:NetkitSingle\n    options:\n      deleteBeforeReplace: true\n    properties:\n      name: nkl-yxsk\n      netns: ${ns}\n      numRxQueues: 3\n` +
    `      leases:\n        - nic: ${nic}\n          queue: 0\n` +
    (o.mtu ? `      mtu: ${o.mtu}\n` : "") +
    (o.up === false ? "      up: false\n" : "") +
    `  bind:\n    type: netkit:index:RxqBinding\n    properties:\n      deviceName: \${xsk.name}\n      netns: \${xsk.netns}\n      deviceIfindex: \${xsk.ifindex}\n      nic: ${nic}\n      nicQueue: 1\n` +
    (o.twin !== undefined
      ? `  twin:\n    type: netkit:index:RxqBinding\n    options:\n      dependsOn:\n        - \${bind}\n    properties:\n      deviceName: \${xsk.name}\n      netns: \${xsk.netns}\n      nic: ${nic}\n      nicQueue: ${o.twin}\n`
      : "") +
    "outputs:\n  ifindex: ${xsk.ifindex}\n  queueId: ${bind.queueId}\n";
  const write = (text: string) => {
    const file = join(p.dir, "Pulumi.yaml");
    const was = readFileSync(file, "utf8");
    writeFileSync(file, was.slice(0, was.indexOf("resources:")) + text);
  };

  before(async function () {
    host = await leasingHost(this);
    await addNetdevsim(host, NSIM, 4, nic);
    await onHost(host, ["ip", "netns", "add", ns]);
    p = await yamlProject("yaml-binding", host, program());
  });
  after(async function () {
    await p?.pulumi("destroy", "--yes").catch(() => undefined);
    p?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
    await removeNetdevsim(host, NSIM);
  });

  it("up; an MTU change and `up: false` of the device preview as its update and nothing for the binding; up does exactly that", async function () {
    await p.pulumi("up", "--yes");
    const ifindex = (await p.pulumi("stack", "output", "ifindex")).trim();
    assert.equal((await p.pulumi("stack", "output", "queueId")).trim(), "2", "the device's queue 1 is its declared lease");
    write(program({ mtu: 4000, up: false }));
    const preview = await p.pulumi("preview", "--diff");
    assert.match(preview, /~ netkit:index:NetkitSingle: \(update\)/);
    assert.doesNotMatch(preview, /RxqBinding: \((update|replace|create-replacement|delete-replaced)\)/, preview);
    assert.match(preview, /1 to update\s+2 unchanged/);
    const up = await p.pulumi("up", "--yes");
    assert.match(up, /1 updated\s+2 unchanged/, up);
    assert.deepEqual([(await sysfs(host, "nkl-yxsk", ns))?.ifindex, (await sysfs(host, "nkl-yxsk", ns))?.mtu], [ifindex, "4000"]);
    await p.pulumi("preview", "--expect-no-changes");
  });

  it("a second binding for a queue the stack leases already, by a binding or by the device's leases: preview refuses it, naming the holder", async function () {
    write(program({ mtu: 4000, up: false, twin: 1 }));
    await assert.rejects(p.pulumi("preview"), /nkl-nic3 RX queue 1 is declared by RxqBinding "bind" of this stack too: one lease has one owner/);
    write(program({ mtu: 4000, up: false, twin: 0 }));
    await assert.rejects(p.pulumi("preview"), /nkl-nic3 RX queue 0 is declared by NetkitSingle "xsk" \(leases\[0\]\) of this stack too/);
    write(program({ mtu: 4000, up: false }));
    assert.equal(await rxQueueCount(host, "nkl-yxsk", ns), 3);
  });

  it("after `pulumi state delete` of the binding, up adopts the lease the device holds; then no changes", async function () {
    await p.pulumi("state", "delete", "urn:pulumi:test::yaml-binding::netkit:index:RxqBinding::bind", "--yes");
    const up = await p.pulumi("up", "--yes");
    assert.match(up, /1 created/, up);
    assert.equal((await p.pulumi("stack", "output", "queueId")).trim(), "2", "the lease the device holds");
    assert.equal(await rxQueueCount(host, "nkl-yxsk", ns), 3, "no new lease");
    await p.pulumi("preview", "--expect-no-changes");
    await p.pulumi("destroy", "--yes");
    assert.equal(await sysfs(host, "nkl-yxsk", ns), undefined);
  });
});
