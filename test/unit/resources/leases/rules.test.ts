// The lease rules without a host: early refusals from a survey, and whether a recorded lease
// still exists. The kernel tier checks the same rules against the real kernel.
import assert from "node:assert/strict";
import { leaseHint, leaseState, precheck, type Lease, type LeaseTarget, type Survey } from "../../../../provider/resources/leases/rules";
import type { QueueInfo } from "../../../../provider/netlink/netdev";

const t: LeaseTarget = { deviceName: "nk0", netns: "/run/netns/pod", nic: "eth1", nicQueue: 1 };
const rx = (ifindex: number, id: number, more: Partial<QueueInfo> = {}): QueueInfo => ({ ifindex, type: "rx", id, xsk: false, memoryProvider: false, ...more });
const nicQueues = (n: number) => Array.from({ length: n }, (_, i) => rx(3, i));
const survey = (over: Partial<Survey> = {}): Survey => ({
  netnsMissing: false,
  device: {
    ifindex: 7,
    name: "nk0",
    up: true,
    kind: "netkit",
    numRxQueues: 3,
    netkit: { primary: true, pairing: "single", mode: "l3", policy: "forward", headroom: 0, tailroom: 0 },
  },
  nic: { ifindex: 3, name: "eth1", up: true, parentDevice: "0000:01:00.0" },
  queues: nicQueues(4),
  deviceNetnsId: 2,
  hostNetnsId: 0,
  ...over,
});
const leased = (q: number, lessee: number, queueId: number, netnsId?: number) => rx(3, q, { lease: { ifindex: lessee, queueId, ...(netnsId !== undefined ? { netnsId } : {}) } });

describe("unit: RX queue lease rules", () => {
  it("a free queue on a netkit device with room passes", () => {
    assert.equal(precheck(t, survey()), undefined);
  });

  const refusals: Array<[string, Partial<Survey>, Partial<LeaseTarget>, RegExp]> = [
    ["missing netns", { netnsMissing: true }, {}, /netns \/run\/netns\/pod does not exist/],
    ["missing device", { device: undefined }, {}, /nk0 \(netns \/run\/netns\/pod\) does not exist/],
    ["a veth", { device: { ifindex: 7, name: "nk0", up: true, kind: "veth" } }, {}, /is a veth device, not netkit/],
    ["a pair's primary", { device: { ...survey().device!, netkit: { ...survey().device!.netkit!, pairing: "pair" } } }, {}, /primary of a netkit pair/],
    [
      "capacity 1",
      { device: { ...survey().device!, numRxQueues: 1 } },
      {},
      /capacity \(NetkitSingle numRxQueues\) is 1, its own queue 0; set numRxQueues = 1 \+ the number of leases/,
    ],
    [
      "capacity 1 on a pair's peer",
      { device: { ...survey().device!, numRxQueues: 1, netkit: { ...survey().device!.netkit!, primary: false, pairing: "pair" } } },
      {},
      /capacity \(NetkitPair peerNumRxQueues\) is 1, its own queue 0; set peerNumRxQueues = 1 \+ the number of leases/,
    ],
    ["missing NIC", { nic: undefined }, {}, /NIC eth1 does not exist/],
    ["a NIC without a parent", { nic: { ifindex: 3, name: "eth1", up: true } }, {}, /eth1 is a virtual device/],
    ["a netkit device as NIC", { nic: { ifindex: 3, name: "eth1", up: true, kind: "netkit", parentDevice: "x" } }, {}, /virtual device \(netkit\)/],
    ["queue out of range", {}, { nicQueue: 4 }, /eth1 has 4 RX queues \(0 … 3\): queue 4 is out of range/],
    [
      "queue leased to another device",
      { queues: [rx(3, 0), leased(1, 9, 1, 4)] },
      {},
      /already leased to the device in a netns without a name in \/run\/netns \(ifindex 9, nsid 4\) as its queue 1/,
    ],
    [
      "queue leased to another device, names resolved",
      { queues: [rx(3, 0), leased(1, 9, 1, 4)], holders: new Map([["9@4", { name: "nk-other", netnsName: "pod2" }]]) },
      {},
      /already leased to nk-other in netns pod2 \(ifindex 9, nsid 4\) as its queue 1/,
    ],
    [
      "queue leased to a device in the host's netns",
      { queues: [rx(3, 0), leased(1, 9, 1)], holders: new Map([["9@-", { name: "nk-host" }]]) },
      {},
      /already leased to nk-host in the host's netns \(ifindex 9\) as its queue 1/,
    ],
    ["queue leased to this device", { queues: [rx(3, 0), leased(1, 7, 1, 2)] }, {}, /already leased to this very device as its queue 1/],
    ["queue bound by AF_XDP", { queues: [rx(3, 0), rx(3, 1, { xsk: true })] }, {}, /^eth1 RX queue 1 is in use by an AF_XDP socket$/],
    ["queue held by a memory provider", { queues: [rx(3, 0), rx(3, 1, { memoryProvider: true })] }, {}, /^eth1 RX queue 1 is in use by a memory provider$/],
    [
      "queue bound by AF_XDP and held by io_uring",
      { queues: [rx(3, 0), rx(3, 1, { xsk: true, memoryProvider: true, ioUring: true })] },
      {},
      /^eth1 RX queue 1 is in use by an AF_XDP socket and io_uring zero-copy receive \(an io_uring ifq\)$/,
    ],
    [
      "leases from another NIC",
      { queues: [...nicQueues(4), rx(8, 0, { lease: { ifindex: 7, queueId: 1, netnsId: 2 } })] },
      {},
      /already holds a lease from another NIC \(ifindex 8\)/,
    ],
    [
      "no spare queue",
      { queues: [rx(3, 0), rx(3, 1), leased(2, 7, 1, 2), leased(3, 7, 2, 2)] },
      {},
      /capacity \(NetkitSingle numRxQueues\) 3 = its own queue 0 \+ 2 leased; set numRxQueues ≥ 4/,
    ],
    ["another device's ifindex", {}, { deviceIfindex: 8 }, /has ifindex 7, not 8/],
  ];
  for (const [title, over, tOver, re] of refusals)
    it(`refused early: ${title}`, () => {
      assert.match(precheck({ ...t, ...tOver }, survey(over)) ?? "(passed)", re);
    });

  it("with the NIC down its queues are invisible: only what the links show is checked", () => {
    const down = survey({ nic: { ...survey().nic!, up: false }, queues: [] });
    assert.equal(precheck({ ...t, nicQueue: 99 }, down), undefined, "left to the kernel (ERANGE)");
  });

  const was: Lease = { queueId: 1, deviceIfindex: 7, nicIfindex: 3, deviceNetnsId: 2, hostNetnsId: 0 };
  it("a lease queue-get still shows is present, with the kernel's values", () => {
    const s = survey({ queues: [rx(3, 0), leased(1, 7, 1, 2)] });
    assert.deepEqual(leaseState(t, s, was), { present: true, lease: was });
  });

  const gone: Array<[string, Partial<Survey>, RegExp]> = [
    ["the netns was deleted", { netnsMissing: true }, /netns .* no longer exists/],
    ["the device was deleted", { device: undefined }, /no longer exists; its leases ended with it/],
    ["the device was re-created", { device: { ...survey().device!, ifindex: 8 } }, /re-created \(ifindex 7 → 8\)/],
    ["the NIC was removed", { nic: undefined }, /NIC eth1 no longer exists/],
    ["the NIC was re-created", { nic: { ...survey().nic!, ifindex: 4 } }, /NIC eth1 was re-created/],
    ["the queue is free", { queues: nicQueues(4) }, /no longer leased/],
    [
      "the queue went to another device",
      { queues: [rx(3, 0), leased(1, 9, 1, 5)] },
      /now already leased to the device in a netns without a name in \/run\/netns \(ifindex 9, nsid 5\)/,
    ],
    ["same ifindex, other netns", { queues: [rx(3, 0), leased(1, 7, 1, 5)] }, /now already leased/],
  ];
  for (const [title, over, re] of gone)
    it(`a lease is gone when ${title}`, () => {
      const st = leaseState(t, survey({ queues: [rx(3, 0), leased(1, 7, 1, 2)], ...over }), was);
      assert.equal(st.present, false);
      assert.match((st as { why: string }).why, re);
    });

  it("a NIC moved to another netns: the lease queue-get shows there is present, with a warning naming that netns", () => {
    // Seen from the NIC's netns the device's netns has another nsid: the recorded one stays.
    const st = leaseState(t, survey({ nicNetns: "away", deviceNetnsId: 0, queues: [rx(3, 0), leased(1, 7, 1, 0)] }), was);
    assert.equal(st.present, true);
    assert.deepEqual((st as { lease: Lease }).lease, was);
    assert.match((st as { warning: string }).warning, /eth1 is in netns away now, not in the host's; the kernel keeps its leases there, so the binding keeps this one/);
    const down = leaseState(t, survey({ nicNetns: "away", nic: { ...survey().nic!, up: false }, queues: [] }), was);
    assert.match((down as { warning: string }).warning, /eth1 is in netns away now.*eth1 is down/);
  });

  it("a capacity refusal by the kernel names the field of the lessee's resource", () => {
    const extack = "netkit maximum queue limit reached";
    assert.match(leaseHint("EINVAL", extack, survey().device)!, /set numRxQueues \(NetkitSingle\)/);
    const peer = { ...survey().device!, netkit: { ...survey().device!.netkit!, primary: false, pairing: "pair" as const } };
    assert.match(leaseHint("EINVAL", extack, peer)!, /set peerNumRxQueues \(NetkitPair\)/);
    assert.match(leaseHint("EINVAL", extack)!, /numRxQueues \(NetkitSingle\) or peerNumRxQueues \(NetkitPair\)/);
  });

  it("with the NIC down, the same device and NIC mean the same lease (leases end only with a device)", () => {
    const st = leaseState(t, survey({ nic: { ...survey().nic!, up: false }, queues: [] }), was);
    assert.equal(st.present, true);
    assert.match((st as { note: string }).note, /eth1 is down/);
  });
});
