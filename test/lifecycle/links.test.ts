// Live link settings, renames and netns moves through the real Pulumi engine against the
// test host (its netdevsim NIC lends the leases), checked from the host after every step
// with iproute2 and sysfs, not our codec:
//  - the BIG TCP example's settings (GSO/GRO limits, IPv4 too, alias, group) are set at
//    create, changed in place (same ifindex), drift is shown by refresh and restored by up;
//  - renaming the primary and the single device and moving the pair's peer and the single
//    device to another netns preview as updates (`~`, no replacement) and keep the ifindex
//    (or read back the new one where the target netns had it taken) and the leases declared
//    on the devices; an RxqBinding written with `device` follows as a replacement that
//    changes nothing in the kernel (its new binding adopts the lease the device still holds).
import assert from "node:assert/strict";
import { bigTcpPod } from "../../examples/big-tcp-pod/program";
import { NetkitPair, NetkitSingle, RxqBinding } from "../../sdk";
import { loadProgram, NETKIT_PASS } from "../support/bpf";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { isUp, linkNames, sysfs } from "../support/netkit";
import { addNetdevsim, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { netkitIp } from "../support/plugin";
import { hostFor } from "../../provider/resources/hosts";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

/** What iproute2 reports of a device: `ip -d -j link show`, optionally in a netns. */
async function ipLink(host: TestHost, name: string, netns?: string): Promise<Record<string, unknown>> {
  const ip = await netkitIp(host);
  const r = await onHost(host, [ip, ...(netns ? ["-n", netns] : []), "-d", "-j", "link", "show", "dev", name]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  return (JSON.parse(r.stdout.toString()) as Array<Record<string, unknown>>)[0]!;
}

const limits = (l: Record<string, unknown>) => [l.gso_max_size, l.gro_max_size, l.gso_ipv4_max_size, l.gro_ipv4_max_size];

describe("lifecycle: link settings, renames and netns moves in place, with the real pulumi engine", function () {
  let host: TestHost;
  let t: TestStack;
  const [nsA, nsB] = ["nkl-lnk-a", "nkl-lnk-b"];
  const NSIM = 7313;
  const nic = "nkl-nic3";
  const cfg = { bigTcp: 196608, name: "nk-big0", netns: nsA, single: "nkl-s0", singleNetns: nsA };
  let hostLinksBefore: string[];
  let ifindex: string;

  before(async function () {
    host = await sharedHost();
    const f = await (await hostFor(connectionTo(host))).facts();
    if (!f.has.queueLease) skipBecause(this, `kernel ${f.kernelRelease} has no queue-create in the netdev genl family`);
    await addNetdevsim(host, NSIM, 4, nic);
    for (const ns of [nsA, nsB]) await onHost(host, ["ip", "netns", "add", ns]);
    // The target netns has ifindex 2 taken: a device moved there with it gets another.
    await onHost(host, ["ip", "-n", nsB, "link", "add", "nkl-taken", "type", "dummy"]);
    hostLinksBefore = await linkNames(host);
    t = await inlineStack("links", async () => {
      const connection = connectionTo(host);
      const pod = bigTcpPod({ connection, netns: cfg.netns, bigTcp: cfg.bigTcp, name: cfg.name });
      const xsk = new NetkitSingle("xsk", { connection, name: cfg.single, netns: cfg.singleNetns, numRxQueues: 3, leases: [{ nic, queue: 1 }] });
      const bound = new RxqBinding("bound", { device: xsk, nic, nicQueue: 2 });
      return { ...pod, xskIfindex: xsk.ifindex, xskQueues: xsk.leaseQueueIds, boundQueue: bound.queueId };
    });
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    for (const ns of [nsA, nsB]) await onHost(host, ["ip", "netns", "del", ns]);
    await removeNetdevsim(host, NSIM);
  });

  it("up sets the BIG TCP limits, alias and group on both sides at create", async function () {
    const r = await t.stack.up();
    assert.equal(r.summary.result, "succeeded");
    ifindex = String(r.outputs.ifindex!.value);
    const p = await ipLink(host, "nk-big0");
    const q = await ipLink(host, "eth0", nsA);
    assert.deepEqual(limits(p), [196608, 196608, 196608, 196608]);
    assert.deepEqual(limits(q), [196608, 196608, 196608, 196608]);
    assert.deepEqual([p.ifalias, q.ifalias, p.group, q.group], [`pod ${nsA}`, "pod uplink", "10", "default"]);
    assert.deepEqual([r.outputs.xskQueues!.value, r.outputs.boundQueue!.value], [[1], 2]);
    await t.stack.preview({ expectNoChanges: true });
  });

  it("changing the limits is an update in place: same device, new limits", async function () {
    cfg.bigTcp = 262144;
    const p = await t.stack.preview({ diff: true });
    assert.deepEqual([p.changeSummary.update, p.changeSummary.replace], [1, undefined], JSON.stringify(p.changeSummary));
    assert.match(p.stdout, /gsoMaxSize\s*:\s*196608 => 262144/);
    const r = await t.stack.up();
    assert.deepEqual(r.summary.resourceChanges, { update: 1, same: 3 }, JSON.stringify(r.summary.resourceChanges));
    const l = await ipLink(host, "nk-big0");
    assert.deepEqual([limits(l), String(l.ifindex)], [[262144, 262144, 262144, 262144], ifindex]);
    assert.deepEqual(limits(await ipLink(host, "eth0", nsA)), [262144, 262144, 262144, 262144]);
  });

  it("refresh shows limits and an alias changed out of band as drift; up restores them", async function () {
    const ip = await netkitIp(host);
    await onHost(host, [ip, "link", "set", "nk-big0", "gso_max_size", "65536", "alias", "someone else's"]);
    await t.stack.refresh();
    const p = await t.stack.preview({ diff: true });
    assert.deepEqual([p.changeSummary.update, p.changeSummary.replace], [1, undefined], JSON.stringify(p.changeSummary));
    assert.match(p.stdout, /gsoMaxSize\s*:\s*65536 => 262144/);
    assert.match(p.stdout, /alias\s*:\s*"someone else's" => "pod nkl-lnk-a"/);
    await t.stack.up();
    const l = await ipLink(host, "nk-big0");
    assert.deepEqual([limits(l), l.ifalias, String(l.ifindex)], [[262144, 262144, 262144, 262144], `pod ${nsA}`, ifindex]);
    await t.stack.preview({ expectNoChanges: true });
  });

  it("a rename and netns moves preview as updates, not replacements, and keep the devices and their leases", async function () {
    const single = await sysfs(host, "nkl-s0", nsA);
    Object.assign(cfg, { name: "nk-big1", netns: nsB, single: "nkl-s1", singleNetns: nsB });
    const p = await t.stack.preview({ diff: true });
    // The pair and the single device change in place; the binding, whose deviceName and netns
    // come from its device, is replaced (state only: see below).
    assert.deepEqual(
      [p.changeSummary.update, p.changeSummary.replace, p.changeSummary.create, p.changeSummary.delete],
      [2, 1, undefined, undefined],
      JSON.stringify(p.changeSummary),
    );
    assert.match(p.stdout, /~ pulumi-nodejs:dynamic\/netkit:NetkitPair: \(update\)/);
    assert.match(p.stdout, /~ pulumi-nodejs:dynamic\/netkit:NetkitSingle: \(update\)/);
    assert.match(p.stdout, /\+-pulumi-nodejs:dynamic\/netkit:RxqBinding: \(replace\)/);
    assert.match(p.stdout, /name\s*:\s*"nk-big0" => "nk-big1"/);
    assert.match(p.stdout, /peerNetns\s*:\s*"nkl-lnk-a" => "nkl-lnk-b"/);
    assert.doesNotMatch(p.stdout, /Netkit(Pair|Single): \(replace\)/);
    assert.ok(await sysfs(host, "nk-big0"), "preview must not touch the host");
    const r = await t.stack.up();
    assert.deepEqual(r.summary.resourceChanges, { update: 2, replace: 1, same: 1 }, JSON.stringify(r.summary.resourceChanges));
    assert.equal(await sysfs(host, "nk-big0"), undefined);
    const renamed = await sysfs(host, "nk-big1");
    assert.equal(renamed?.ifindex, ifindex, "the renamed primary is the same device");
    assert.equal(String(r.outputs.ifindex!.value), ifindex);
    assert.equal(await sysfs(host, "eth0", nsA), undefined, "the peer left the old netns");
    const peer = await ipLink(host, "eth0", nsB);
    assert.equal(String(peer.ifindex), String(r.outputs.peerIfindex!.value), "the peer's ifindex in its new netns is read back");
    assert.deepEqual([limits(peer), peer.ifalias], [[262144, 262144, 262144, 262144], "pod uplink"], "the peer keeps its settings");
    assert.equal((await ipLink(host, "nk-big1")).ifalias, `pod ${nsB}`);
    const moved = await sysfs(host, "nkl-s1", nsB);
    assert.ok(moved, "the single device is in the new netns under its new name");
    assert.notEqual(moved.ifindex, "2", "ifindex 2 was taken in the target netns");
    assert.equal(moved.ifindex, String(r.outputs.xskIfindex!.value), "its new ifindex is read back");
    assert.ok(single, "the single device was in the old netns");
    assert.equal(await rxQueueCount(host, "nkl-s1", nsB), 3, "queue 0 + the declared lease + the binding's lease: the kernel kept both across the move");
    assert.deepEqual([r.outputs.xskQueues!.value, r.outputs.boundQueue!.value], [[1], 2], "the binding adopted the lease the device still holds");
    const peerNow = await sysfs(host, "eth0", nsB);
    assert.deepEqual([isUp(renamed?.flags), isUp(peerNow?.flags), isUp(moved.flags)], [true, true, true], "up again, as declared");
    await t.stack.preview({ expectNoChanges: true });
    const refreshed = await t.stack.refresh();
    assert.deepEqual(
      Object.keys(refreshed.summary.resourceChanges ?? {}),
      ["same"],
      `refresh finds the renamed and moved devices, and the leases: ${JSON.stringify(refreshed.summary.resourceChanges)}`,
    );
  });

  it("destroy leaves the host as it was", async function () {
    assert.equal((await t.stack.destroy()).summary.result, "succeeded");
    assert.deepEqual(await linkNames(host), hostLinksBefore);
    assert.deepEqual(await linkNames(host, nsA), ["lo"]);
    assert.deepEqual(await linkNames(host, nsB), ["lo", "nkl-taken"]);
  });

  describe("with BPF programs on both hooks", function () {
    let p: TestStack;
    const at = { name: "nkl-bpf0", peerNetns: nsA };
    const pin = "/sys/fs/bpf/nkl-links-pass";

    before(async function () {
      await loadProgram(host, pin, NETKIT_PASS, "nkl_pass");
      p = await inlineStack("links-bpf", async () => {
        const pair = new NetkitPair("pod", {
          connection: connectionTo(host),
          name: at.name,
          peerName: "eth0",
          peerNetns: at.peerNetns,
          programs: [{ pin }],
          peerPrograms: [{ pin }],
        });
        return { ifindex: pair.ifindex, programIds: pair.programIds, peerProgramIds: pair.peerProgramIds };
      });
    });
    after(async function () {
      await p?.stack.destroy().catch(() => undefined);
      p?.cleanup();
      await onHost(host, ["rm", "-f", pin]);
    });

    it("a rename of the primary and a move of the peer keep the pair's programs attached (refresh finds no drift)", async function () {
      const r = await p.stack.up();
      Object.assign(at, { name: "nkl-bpf1", peerNetns: nsB });
      const u = await p.stack.up();
      assert.deepEqual(u.summary.resourceChanges, { update: 1, same: 1 }, JSON.stringify(u.summary.resourceChanges));
      assert.equal(u.outputs.ifindex!.value, r.outputs.ifindex!.value);
      assert.deepEqual([u.outputs.programIds!.value, u.outputs.peerProgramIds!.value], [r.outputs.programIds!.value, r.outputs.peerProgramIds!.value]);
      const refreshed = await p.stack.refresh();
      assert.deepEqual(Object.keys(refreshed.summary.resourceChanges ?? {}), ["same"], `both hooks still run the program: ${JSON.stringify(refreshed.summary.resourceChanges)}`);
      await p.stack.preview({ expectNoChanges: true });
      assert.equal((await p.stack.destroy()).summary.result, "succeeded");
    });
  });
});
