// RxqBinding's controller against the real 7.2 kernel with netdevsim NICs: leases to a single
// device and to a pair's peer, inside a pod netns (the nsid sequence) and in the host's,
// every early and kernel refusal, and refresh/delete after the device or the NIC went away.
// Effects are checked apart from our codec: sysfs RX queue counts of the netkit devices,
// `ip netns list-id`, and links that the kernel itself removed.
import assert from "node:assert/strict";
import { rxqBindingProvider as provider } from "../../provider/resources/rxq-binding/controller";
import { rxqBindingDefinition } from "../../provider/resources/rxq-binding/definition";
import { netkitSingleProvider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { netkitPairProvider } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { hostFor } from "../../provider/resources/hosts";
import { readLease } from "../../provider/resources/leases/host";
import { RelayBatch } from "../../provider/host/batch";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, linkNames, sysfs } from "../support/netkit";
import { addNetdevsim, netnsIds, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

type Outs = Record<string, unknown>;

/** The provider's warnings while f runs (outside an engine they go to stderr as "[netkit] warning: …"). */
async function capturedWarnings(f: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...a: unknown[]) => void lines.push(a.map(String).join(" "));
  try {
    await f();
  } finally {
    console.error = original;
  }
  return lines.filter((l) => l.startsWith("[netkit] warning: "));
}

describe("kernel: RxqBinding (queue leasing) on netdevsim", function () {
  let host: TestHost;
  const pod = "nkq-pod";
  const pod2 = "nkq-pod2";
  const NSIM0 = 7301;
  const NSIM1 = 7302;
  let nic0: number;
  const devices: Record<string, Outs> = {};
  const bindings: Record<string, Outs> = {};

  const single = async (key: string, name: string, netns: string | undefined, numRxQueues: number) => {
    const r = await netkitSingleProvider.create(checked(netkitSingleDefinition, { connection: connectionTo(host), name, ...(netns ? { netns } : {}), numRxQueues }) as never);
    devices[key] = r.outs as Outs;
    return devices[key];
  };
  const bind = (inputs: Record<string, unknown>) => provider.create(checked(rxqBindingDefinition, { connection: connectionTo(host), ...inputs }) as never);
  const refusal = async (inputs: Record<string, unknown>, re: RegExp) => {
    await assert.rejects(bind(inputs), (e: Error) => (assert.match(e.message, re), true));
  };
  const setNic = (name: string, state: "up" | "down") => onHost(host, ["ip", "link", "set", name, state]);

  before(async function () {
    host = await sharedHost();
    const f = await (await hostFor(connectionTo(host))).facts();
    if (!f.has.queueLease) skipBecause(this, `kernel ${f.kernelRelease} has no queue-create in the netdev genl family`);
    nic0 = await addNetdevsim(host, NSIM0, 4, "nkq-nic0");
    await addNetdevsim(host, NSIM1, 2, "nkq-nic1");
    for (const ns of [pod, pod2]) await onHost(host, ["ip", "netns", "add", ns]);
  });

  after(async function () {
    for (const ns of [pod, pod2]) await onHost(host, ["ip", "netns", "del", ns]);
    for (const d of ["nkq-h0", "nkq-p0"]) await onHost(host, ["ip", "link", "del", d]);
    await removeNetdevsim(host, NSIM0);
    await removeNetdevsim(host, NSIM1);
  });

  it("the preflight finds queue-create in the netdev family's op list", async function () {
    const f = await (await hostFor(connectionTo(host))).facts();
    assert.equal(f.has.queueLease, true);
    assert.equal(typeof f.netdevFamilyId, "number");
  });

  it("leases a NIC queue to a single device in a pod netns, assigning the nsid the pod lacked", async function () {
    const a = await single("a", "nkq-a", pod, 3);
    assert.equal((await netnsIds(host, pod)).size, 0, "a fresh netns knows no other netns");
    const r = await bind({ deviceName: "nkq-a", netns: pod, nic: "nkq-nic0", nicQueue: 1 });
    const o = (bindings.a1 = r.outs as Outs);
    assert.equal(r.id, `${host.host}:${host.port}/${pod}/nkq-a/rxq-nkq-nic0-1`);
    assert.deepEqual([o.queueId, o.deviceIfindex, o.nicIfindex], [1, a.ifindex, nic0]);
    // The sequence: the pod netns now knows the host's under the id queue-create was given,
    // and the host knows the pod's under the id queue-get reported.
    assert.deepEqual([...(await netnsIds(host, pod)).keys()], [o.hostNetnsId]);
    assert.equal((await netnsIds(host)).get(o.deviceNetnsId as number), pod);
    assert.equal(await rxQueueCount(host, "nkq-a", pod), 2, "queue 0 + the leased queue 1");
  });

  it("a second lease on the same device becomes its queue 2, reusing the pod's nsid", async function () {
    const r = await bind({ deviceName: "nkq-a", netns: pod, nic: "nkq-nic0", nicQueue: 2 });
    bindings.a2 = r.outs as Outs;
    assert.equal(bindings.a2.queueId, 2);
    assert.equal(bindings.a2.hostNetnsId, bindings.a1!.hostNetnsId);
    assert.equal((await netnsIds(host, pod)).size, 1, "no second nsid");
    assert.equal(await rxQueueCount(host, "nkq-a", pod), 3);
  });

  it("reads both leases back as the kernel reports them", async function () {
    for (const o of [bindings.a1!, bindings.a2!]) assert.deepEqual((await provider.read!("id", o as never)).props, o);
  });

  it("a refresh's lease reads share one snapshot per host: one relay run for them all, the same answers as direct surveys", async function () {
    const client = await hostFor(connectionTo(host));
    const familyId = (await client.facts()).netdevFamilyId!;
    await client.run(new RelayBatch()); // a request that may write: it ends any snapshot
    const before = client.runCount;
    const reads = await Promise.all([bindings.a1!, bindings.a2!, bindings.a1!].map((o) => provider.read!("id", o as never)));
    assert.equal(client.runCount - before, 1, "one relay run for every read");
    reads.forEach((r, i) => assert.deepEqual(r.props, [bindings.a1, bindings.a2, bindings.a1][i]));
    const t = (o: Outs) => ({ deviceName: o.deviceName as string, netns: `/run/netns/${pod}`, nic: o.nic as string, nicQueue: o.nicQueue as number });
    const was = (o: Outs) => ({ queueId: o.queueId as number, deviceIfindex: o.deviceIfindex as number, nicIfindex: o.nicIfindex as number });
    for (const o of [bindings.a1!, bindings.a2!, { ...bindings.a1!, nicQueue: 3 }, { ...bindings.a1!, deviceName: "nkq-none" }])
      assert.deepEqual(await readLease(client, familyId, t(o), was(o), true), await readLease(client, familyId, t(o), was(o), false), JSON.stringify(t(o)));
  });

  it("no spare RX queue: refused early, and by the kernel when the NIC is down", async function () {
    await refusal(
      { deviceName: "nkq-a", netns: pod, nic: "nkq-nic0", nicQueue: 3 },
      /no spare RX queue: capacity \(NetkitSingle numRxQueues\) 3 = its own queue 0 \+ 2 leased; set numRxQueues ≥ 4/,
    );
    await setNic("nkq-nic0", "down"); // queue-get shows nothing: only the kernel can tell
    try {
      await refusal(
        { deviceName: "nkq-a", netns: pod, nic: "nkq-nic0", nicQueue: 3 },
        /EINVAL \(kernel: netkit maximum queue limit reached\) — the netkit device has no spare RX queue: set numRxQueues \(NetkitSingle\)/,
      );
    } finally {
      await setNic("nkq-nic0", "up");
    }
    assert.equal(await rxQueueCount(host, "nkq-a", pod), 3, "nothing changed");
    await single("one", "nkq-one", pod, 1);
    await refusal({ deviceName: "nkq-one", netns: pod, nic: "nkq-nic0", nicQueue: 3 }, /has no spare RX queue: its capacity \(NetkitSingle numRxQueues\) is 1/);
  });

  it("a queue already leased: refused early naming the holder, and EBUSY from the kernel", async function () {
    const b = await single("b", "nkq-b", pod, 3);
    await refusal(
      { deviceName: "nkq-b", netns: pod, nic: "nkq-nic0", nicQueue: 1 },
      new RegExp(`queue 1 is already leased to nkq-a in netns ${pod} \\(ifindex ${String(devices.a!.ifindex)}, nsid \\d+\\) as its queue 1`),
    );
    // The identical lease, held already by the very device: adopted (a lost state recovers), nothing made.
    const again = await bind({ deviceName: "nkq-a", netns: pod, nic: "nkq-nic0", nicQueue: 1 });
    assert.deepEqual(again.outs, bindings.a1, "the lease the device holds, as create made it");
    assert.equal(await rxQueueCount(host, "nkq-a", pod), 3, "no new lease");
    await setNic("nkq-nic0", "down");
    try {
      await refusal({ deviceName: "nkq-b", netns: pod, nic: "nkq-nic0", nicQueue: 1 }, /EBUSY \(kernel: Device queue in use due to queue leasing\)/);
    } finally {
      await setNic("nkq-nic0", "up");
    }
    assert.equal(await rxQueueCount(host, "nkq-b", pod), 1, `${String(b.name)} got nothing`);
  });

  it("a queue id out of range: refused early with the NIC's count, and ERANGE from the kernel", async function () {
    await refusal({ deviceName: "nkq-b", netns: pod, nic: "nkq-nic0", nicQueue: 4 }, /nkq-nic0 has 4 RX queues \(0 … 3\): queue 4 is out of range/);
    await setNic("nkq-nic0", "down");
    try {
      await refusal({ deviceName: "nkq-b", netns: pod, nic: "nkq-nic0", nicQueue: 4 }, /queue-create\) failed: ERANGE — the NIC has no RX queue with that index/);
    } finally {
      await setNic("nkq-nic0", "up");
    }
  });

  it("leases from a second NIC: refused early, and by the kernel when that is not visible", async function () {
    bindings.b3 = (await bind({ deviceName: "nkq-b", netns: pod, nic: "nkq-nic0", nicQueue: 3 })).outs as Outs;
    await refusal({ deviceName: "nkq-b", netns: pod, nic: "nkq-nic1", nicQueue: 0 }, /already holds a lease from another NIC/);
    await setNic("nkq-nic0", "down"); // the existing lease is then invisible to queue-get
    try {
      await refusal({ deviceName: "nkq-b", netns: pod, nic: "nkq-nic1", nicQueue: 0 }, /EOPNOTSUPP \(kernel: Leasing queues from different devices not supported\)/);
    } finally {
      await setNic("nkq-nic0", "up");
    }
    assert.equal(await rxQueueCount(host, "nkq-b", pod), 2);
  });

  it("a virtual device as the NIC, a NIC without queue management, a missing device: clear refusals", async function () {
    await single("e", "nkq-e", pod, 2);
    await refusal({ deviceName: "nkq-e", netns: pod, nic: "lo", nicQueue: 0 }, /lo is a virtual device/);
    // The test host's virtio NIC has a parent but no queue management ops.
    await refusal({ deviceName: "nkq-e", netns: pod, nic: "eth0", nicQueue: 0 }, /kernel: Lease device does not support queue management operations/);
    await refusal({ deviceName: "nkq-e", netns: pod, nic: "nkq-e", nicQueue: 0 }, /does not exist in the host's network namespace/);
    await refusal({ deviceName: "nkq-none", netns: pod, nic: "nkq-nic0", nicQueue: 0 }, /nkq-none \(netns .*\) does not exist/);
    await refusal({ deviceName: "nkq-a", netns: "nkq-nope", nic: "nkq-nic0", nicQueue: 0 }, /netns .*nkq-nope does not exist/);
  });

  it("a pair: the primary is refused, the peer in its pod netns takes the lease", async function () {
    const r = await netkitPairProvider.create(
      checked(netkitPairDefinition, { connection: connectionTo(host), name: "nkq-p0", peerName: "eth0", peerNetns: pod2, peerNumRxQueues: 2 }) as never,
    );
    devices.pair = r.outs as Outs;
    await refusal({ deviceName: "nkq-p0", nic: "nkq-nic0", nicQueue: 0 }, /nkq-p0 is the primary of a netkit pair: the kernel leases queues only to the peer/);
    const o = (bindings.peer = (await bind({ deviceName: "eth0", netns: pod2, nic: "nkq-nic0", nicQueue: 0 })).outs as Outs);
    assert.deepEqual([o.queueId, o.deviceIfindex], [1, devices.pair.peerIfindex]);
    assert.equal(await rxQueueCount(host, "eth0", pod2), 2);
    assert.equal((await netnsIds(host)).get(o.deviceNetnsId as number), pod2);
  });

  it("a device in the host's netns leases without any nsid", async function () {
    const h = await single("h", "nkq-h0", undefined, 2);
    const o = (bindings.h = (await bind({ deviceName: "nkq-h0", nic: "nkq-nic1", nicQueue: 1 })).outs as Outs);
    assert.deepEqual([o.queueId, o.deviceIfindex, o.deviceNetnsId, o.hostNetnsId], [1, h.ifindex, undefined, undefined]);
    assert.equal(await rxQueueCount(host, "nkq-h0"), 2);
  });

  it("with the NIC down the lease still reads as present (same device, same NIC)", async function () {
    await setNic("nkq-nic0", "down");
    try {
      assert.deepEqual((await provider.read!("id", bindings.a1 as never)).props, bindings.a1);
    } finally {
      await setNic("nkq-nic0", "up");
    }
  });

  it("deleting a binding whose device still holds the lease succeeds, warning that the lease stays with its device", async function () {
    const warnings = await capturedWarnings(() => provider.delete!("id", bindings.a1 as never));
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /the lease of nkq-nic0 RX queue 1 to nkq-a .* stays until nkq-a .* is deleted or replaced: the kernel has no operation that releases one lease/);
    assert.equal(await rxQueueCount(host, "nkq-a", pod), 3, "the lease is still there");
    assert.deepEqual((await provider.read!("id", bindings.a1 as never)).props, bindings.a1);
  });

  it("after the netkit device is deleted, refresh drops its bindings and delete succeeds", async function () {
    await netkitSingleProvider.delete!("id", devices.a as never);
    for (const o of [bindings.a1!, bindings.a2!]) {
      assert.equal((await provider.read!("id", o as never)).id, "", "refresh drops it");
      await provider.delete!("id", o as never);
    }
    // The NIC queues are free again: another device can take queue 1.
    await single("c", "nkq-c", pod, 2);
    bindings.c1 = (await bind({ deviceName: "nkq-c", netns: pod, nic: "nkq-nic0", nicQueue: 1 })).outs as Outs;
    assert.equal(bindings.c1.queueId, 1);
  });

  it("a device re-created under the same name is not the one that held the lease", async function () {
    await onHost(host, ["ip", "netns", "exec", pod, "ip", "link", "del", "nkq-c"]);
    await single("c2", "nkq-c", pod, 2);
    assert.equal((await provider.read!("id", bindings.c1 as never)).id, "");
  });

  it("removing the netdevsim NIC makes the kernel delete the netkit device leasing from it; refresh drops the binding", async function () {
    assert.ok(await sysfs(host, "nkq-h0"));
    await removeNetdevsim(host, NSIM1);
    assert.equal(await sysfs(host, "nkq-h0"), undefined, "the kernel unregistered the lessee");
    assert.ok(!(await linkNames(host)).includes("nkq-nic1"));
    // A new refresh: the last one's snapshot (taken before the NIC went, out of band) ends with a write.
    await (await hostFor(connectionTo(host))).run(new RelayBatch());
    assert.equal((await provider.read!("id", bindings.h as never)).id, "");
    await provider.delete!("id", bindings.h as never);
  });

  it("changing any input replaces the binding (the kernel cannot move or release a lease)", async function () {
    const o = bindings.peer!;
    for (const [k, v] of [
      ["nicQueue", 2],
      ["nic", "nkq-nic1"],
      ["deviceName", "eth1"],
      ["netns", pod],
      ["deviceIfindex", 99],
    ] as const) {
      const d = await provider.diff!(
        "id",
        o as never,
        { ...checked(rxqBindingDefinition, { connection: connectionTo(host), deviceName: "eth0", netns: pod2, nic: "nkq-nic0", nicQueue: 0 }), [k]: v } as never,
      );
      assert.deepEqual(d.replaces, [k], k);
    }
  });
});
