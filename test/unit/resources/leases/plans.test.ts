// A lease's create as a plan (provider/resources/leases/plans.ts): from the survey before it,
// which ops run where, with which nsid. No host: the controller and kernel tiers run the plans.
import assert from "node:assert/strict";
import { decodeAttrs, readS32, readU32 } from "../../../../provider/netlink/attributes";
import { NETDEV_A_LEASE, NETDEV_A_QUEUE, NETNSA } from "../../../../provider/netlink/constants";
import { decodeMessages } from "../../../../provider/netlink/message";
import { planLeaseCreate } from "../../../../provider/resources/leases/plans";
import type { LeaseTarget, Survey } from "../../../../provider/resources/leases/rules";

const FAMILY = 30;
const device = { ifindex: 9, name: "nk0p", up: true };
const nic = { ifindex: 3, name: "eth1", up: true };
const inPod: LeaseTarget = { deviceName: "nk0p", netns: "/run/netns/pod", nic: "eth1", nicQueue: 2 };
const survey = (extra: Partial<Survey> = {}) => ({ netnsMissing: false, queues: [], device, nic, ...extra });

/** The attributes of a step's message after its header (generic netlink: +4; rtnetlink nsid: +4). */
function attrs(message: Buffer) {
  return decodeAttrs(decodeMessages(message)[0]!.payload.subarray(4));
}

describe("unit: a lease's create as a plan", () => {
  it("a device in a pod whose netns does not know the host's: assign the lowest free nsid, then queue-create there with it, read back", () => {
    const plan = planLeaseCreate(FAMILY, inPod, survey(), [0, 1, 3]);
    assert.deepEqual(
      plan.steps.map((s) => s.label),
      [
        "open the host's netns",
        "open netns /run/netns/pod",
        "give the host's netns the nsid 2 in netns /run/netns/pod (ip netns set)",
        "create the lease of eth1 RX queue 2 to nk0p (netns /run/netns/pod) (queue-create)",
        "read the lease back (queue-get)",
        "read the nsid of netns /run/netns/pod in the host's netns",
      ],
    );
    assert.deepEqual([plan.hostNetnsId, plan.assign, plan.create, plan.dump, plan.deviceNetns], [2, 2, 3, 4, 5]);
    const assign = plan.steps[2]!.op;
    assert.ok(assign.op === "netlink" && assign.netns === inPod.netns);
    assert.equal(readS32(attrs(assign.message), NETNSA.NSID), 2);
    const create = plan.steps[3]!.op;
    assert.ok(create.op === "netlink" && create.netns === inPod.netns && create.proto === 16, "from the pod's netns, over generic netlink");
    const a = attrs(create.message);
    const lease = decodeAttrs(a.get(NETDEV_A_QUEUE.LEASE)!);
    assert.deepEqual(
      [
        readU32(a, NETDEV_A_QUEUE.IFINDEX),
        readU32(lease, NETDEV_A_LEASE.IFINDEX),
        readU32(decodeAttrs(lease.get(NETDEV_A_LEASE.QUEUE)!), NETDEV_A_QUEUE.ID),
        readS32(lease, NETDEV_A_LEASE.NETNS_ID),
      ],
      [9, 3, 2, 2],
    );
  });

  it("an nsid the pod's netns has already is used, not assigned again", () => {
    const plan = planLeaseCreate(FAMILY, inPod, survey({ hostNetnsId: 5 }), [5]);
    assert.equal(plan.assign, -1);
    assert.equal(plan.hostNetnsId, 5);
    assert.ok(!plan.steps.some((s) => s.label.startsWith("give")));
  });

  it("a device in the host's netns: no namespaces, no nsid, queue-create from the host's netns", () => {
    const plan = planLeaseCreate(FAMILY, { deviceName: "s0", nic: "eth1", nicQueue: 1 }, survey(), []);
    assert.deepEqual(
      plan.steps.map((s) => s.label),
      ["create the lease of eth1 RX queue 1 to s0 (queue-create)", "read the lease back (queue-get)"],
    );
    assert.deepEqual([plan.hostNetnsId, plan.assign, plan.deviceNetns], [undefined, -1, -1]);
    const lease = decodeAttrs(attrs((plan.steps[0]!.op as { message: Buffer }).message).get(NETDEV_A_QUEUE.LEASE)!);
    assert.equal(lease.has(NETDEV_A_LEASE.NETNS_ID), false);
  });
});
