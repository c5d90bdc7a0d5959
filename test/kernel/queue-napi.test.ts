// QueueNapi and who holds a queue, against the real 7.2 kernel with a netdevsim NIC (one
// NAPI per RX queue, persistent per-queue NAPI config): napi-set of one queue's NAPI read back
// by the kernel's netdev family (python3 on the host, not our codec) with the other NAPIs left
// alone, drift from a napi-set by hand, restore on delete. Then the consumers a test host can
// make: a lease, and an AF_XDP socket (copy mode) bound to the leasing device's queue or to a
// NIC queue directly — shown as outputs, refused by preview's host checks naming them, and a
// device whose leased queue a socket holds is not deleted: a named error, quickly, and the
// delete converges once the socket is gone.
import assert from "node:assert/strict";
import { queueNapiProvider as provider } from "../../provider/resources/queue-napi/controller";
import { queueNapiDefinition } from "../../provider/resources/queue-napi/definition";
import { netkitSingleProvider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { rxqBindingProvider } from "../../provider/resources/rxq-binding/controller";
import { hostFor } from "../../provider/resources/hosts";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, sysfs } from "../support/netkit";
import { addNetdevsim, removeNetdevsim } from "../support/netdevsim";
import { holdXsk, napis, napiSetByHand, release, type NapiView } from "../support/nic";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

type Outs = Record<string, unknown>;

describe("kernel: QueueNapi and a queue's holders on netdevsim", function () {
  let host: TestHost;
  const NSIM = 7331;
  const nic = "nkz-nic0";
  const pod = "nkz-pod";
  let nicIfindex: number;
  let original: Map<number, NapiView>;
  let outs: Outs;
  let id: string;
  const holders: number[] = [];
  let device: { id: string; outs: Outs };

  const inputs = (v: Record<string, unknown>) => checked(queueNapiDefinition, { connection: connectionTo(host), nic, queue: 2, ...v }) as never;
  const tuned = { deferHardIrqs: 100, groFlushTimeout: 20000, irqSuspendTimeout: 20000000, threaded: "enabled" };

  before(async function () {
    host = await sharedHost();
    const f = await (await hostFor(connectionTo(host))).nicFacts();
    if (!f.has.napiSet) skipBecause(this, `kernel ${f.kernelRelease} has no napi-set`);
    nicIfindex = await addNetdevsim(host, NSIM, 4, nic);
    await onHost(host, ["ip", "netns", "add", pod]);
    original = await napis(host, nicIfindex);
  });

  after(async function () {
    for (const pid of holders) await release(host, pid);
    await onHost(host, ["ip", "netns", "del", pod]);
    await removeNetdevsim(host, NSIM);
  });

  it("create finds the queue's NAPI through queue-get and sets it; the other NAPIs stay as they were", async function () {
    assert.equal(original.size, 4, "one NAPI per RX queue");
    const r = await provider.create(inputs(tuned));
    id = r.id;
    outs = r.outs as Outs;
    assert.equal(id, `${host.host}:${host.port}/${nic}/rx-2`);
    const now = await napis(host, nicIfindex);
    const napiId = outs.napiId as number;
    assert.deepEqual(now.get(napiId), { deferHardIrqs: 100, groFlushTimeout: 20000, irqSuspendTimeout: 20000000, threaded: 1 });
    for (const [k, v] of original) if (k !== napiId) assert.deepEqual(now.get(k), v, `NAPI ${k} untouched`);
    const was = original.get(napiId)!;
    assert.deepEqual(outs.previous, { deferHardIrqs: was.deferHardIrqs, groFlushTimeout: was.groFlushTimeout, irqSuspendTimeout: was.irqSuspendTimeout, threaded: "disabled" });
    assert.deepEqual([outs.xsk, outs.ioUring, outs.leaseDeviceIfindex], [false, false, undefined], "nobody uses the queue yet");
  });

  it("refresh reads it back; a napi-set by hand is drift that update repairs", async function () {
    assert.deepEqual((await provider.read!(id, outs as never)).props, outs);
    await napiSetByHand(host, outs.napiId as number, { deferHardIrqs: 0, groFlushTimeout: 0 });
    const r = await provider.read!(id, outs as never);
    assert.deepEqual([r.inputs!.deferHardIrqs, r.inputs!.groFlushTimeout], [0, 0]);
    const d = await provider.diff!(id, r.props as never, inputs(tuned));
    assert.deepEqual([(d as { changed: string[] }).changed.sort(), d.replaces], [["deferHardIrqs", "groFlushTimeout"], []]);
    outs = (await provider.update!(id, r.props as never, inputs(tuned))).outs as Outs;
    assert.deepEqual((await napis(host, nicIfindex)).get(outs.napiId as number), { deferHardIrqs: 100, groFlushTimeout: 20000, irqSuspendTimeout: 20000000, threaded: 1 });
  });

  it("the queue's holders as outputs: its lease to a pod's device, then an AF_XDP socket on the device's leased queue", async function () {
    const dev = await netkitSingleProvider.create(
      checked(netkitSingleDefinition, { connection: connectionTo(host), name: "nkz-xsk", netns: pod, leases: [{ nic, queue: 2 }] }) as never,
    );
    device = { id: dev.id, outs: dev.outs as Outs };
    const d = device.outs;
    let r = await provider.read!(id, outs as never);
    assert.deepEqual([r.props!.leaseDeviceIfindex, r.props!.leaseQueueId, typeof r.props!.leaseNetnsId, r.props!.xsk], [d.ifindex, 1, "number", false]);
    holders.push(await holdXsk(host, d.ifindex as number, 1, pod));
    r = await provider.read!(id, outs as never);
    assert.equal(r.props!.xsk, true, "queue-get reports the socket on the NIC's queue, through the lease");
    outs = r.props as Outs;
  });

  it("a device whose leased queue an AF_XDP socket holds is not deleted: a named error within seconds, nothing changed; after the socket it converges", async function () {
    const started = Date.now();
    await assert.rejects(
      netkitSingleProvider.delete!(device.id, device.outs as never),
      new RegExp(`not deleting nkz-xsk \\(netns /run/netns/${pod}\\): ${nic} RX queue 2 \\(its queue 1\\) is in use by an AF_XDP socket\\. .*stop that consumer`),
    );
    assert.ok(Date.now() - started < 10_000, `refused in ${Date.now() - started} ms`);
    assert.ok(await sysfs(host, "nkz-xsk", pod), "the device is still there");
    await release(host, holders.pop()!);
    await netkitSingleProvider.delete!(device.id, device.outs as never);
    assert.equal(await sysfs(host, "nkz-xsk", pod), undefined, "deleted once the socket is gone");
  });

  it("preview refuses a lease of a queue an AF_XDP socket holds, or that another device leases, naming them", async function () {
    // Both holders first: a preview asks the host about a NIC once per run.
    holders.push(await holdXsk(host, nicIfindex, 3));
    const holder = await netkitSingleProvider.create(
      checked(netkitSingleDefinition, { connection: connectionTo(host), name: "nkz-h", netns: pod, leases: [{ nic, queue: 1 }] }) as never,
    );
    const check = (inputs: Record<string, unknown>) => rxqBindingProvider.check!({} as never, { connection: connectionTo(host), ...inputs } as never);
    await netkitSingleProvider.create(checked(netkitSingleDefinition, { connection: connectionTo(host), name: "nkz-b", netns: pod, numRxQueues: 3 }) as never);
    const byXsk = await check({ deviceName: "nkz-b", netns: pod, nic, nicQueue: 3 });
    assert.deepEqual(
      byXsk.failures?.map((f) => [f.property, f.reason]),
      [
        [
          "nicQueue",
          `root@${host.host}:${host.port}: ${nic} RX queue 3 is in use by an AF_XDP socket: the kernel refuses to lease a queue in use; stop that consumer, or lease another queue`,
        ],
      ],
    );
    const byLease = await check({ deviceName: "nkz-b", netns: pod, nic, nicQueue: 1 });
    assert.match(byLease.failures?.[0]?.reason ?? "", new RegExp(`${nic} RX queue 1 is already leased to nkz-h in netns ${pod} \\(ifindex \\d+, nsid \\d+\\) as its queue 1`));
    assert.deepEqual(await check({ deviceName: "nkz-h", netns: pod, nic, nicQueue: 1 }).then((r) => r.failures), [], "the lessee's own lease: adopted, not refused");
    const renamed = { connection: connectionTo(host), deviceName: "nkz-h2", netns: pod, nic, nicQueue: 1 };
    assert.deepEqual(
      await rxqBindingProvider.check!({ ...renamed, deviceName: "nkz-h" } as never, renamed as never).then((r) => r.failures),
      [],
      "a binding whose device is renamed in the same update keeps its own lease: not refused",
    );
    // A device declaring the lease is refused the same way.
    const single = await netkitSingleProvider.check!({} as never, { connection: connectionTo(host), name: "nkz-c", netns: pod, leases: [{ nic, queue: 3 }] } as never);
    assert.match(single.failures?.[0]?.reason ?? "", /RX queue 3 is in use by an AF_XDP socket/);
    assert.equal(single.failures?.[0]?.property, "leases[0].queue");
    await netkitSingleProvider.delete!((holder as { id: string }).id, (holder as { outs: unknown }).outs as never);
  });

  it("delete restores the NAPI's settings exactly", async function () {
    await provider.delete!(id, outs as never);
    assert.deepEqual(await napis(host, nicIfindex), original);
  });
});
