// The netkit device operations as plans (provider/host/netkit-plans.ts): which ops, in which
// order, addressing which device where, and where the executor reads the results. No host:
// the controller tier replays the same plans against a real kernel's recorded answers.
import assert from "node:assert/strict";
import { decodeAttrs, readU32 } from "../../../provider/netlink/attributes";
import { IFINFOMSG_LEN, IFLA, IFLA_NETKIT } from "../../../provider/netlink/constants";
import { decodeIfInfo, decodeMessages } from "../../../provider/netlink/message";
import type { Step } from "../../../provider/host/batch";
import { HELD_DELETE_WAIT_MS, planChange, planCreate, planDelete, planMoveBack, unrelocatable } from "../../../provider/host/netkit-plans";
import type { ChangeNetkit } from "../../../provider/host/netkit";

const labels = (steps: Step[]) => steps.map((s) => s.label);
/** The netlink message of a step, decoded: its ifinfomsg index and top-level attributes. */
function message(s: Step | undefined) {
  assert.ok(s?.op.op === "netlink", JSON.stringify(s?.op));
  const [m] = decodeMessages(s.op.message);
  return { index: decodeIfInfo(m!.payload).index, attrs: decodeAttrs(m!.payload.subarray(IFINFOMSG_LEN)), netns: s.op.netns };
}

const pod = "/run/netns/pod";

describe("unit: netkit operations as plans", () => {
  it("create: the peer's netns opened as an fd the request names, then create, what creation cannot set, up, read both back", () => {
    const plan = planCreate({
      primary: { name: "nk0" },
      peer: { name: "nk0p", netns: pod },
      create: { mode: "l3", pairing: "pair", primary: { name: "nk0" }, peer: { name: "nk0p" } },
      peerAfter: { alias: "eth0 of pod" },
      primaryUp: true,
      peerUp: true,
      verify: () => undefined,
    });
    assert.deepEqual(labels(plan.steps), [
      `open netns ${pod}`,
      "create netkit nk0",
      `change nk0p (netns ${pod}) (alias)`,
      "set nk0 up",
      `set nk0p (netns ${pod}) up`,
      "read nk0",
      `read nk0p (netns ${pod})`,
    ]);
    assert.deepEqual(plan.steps[0]!.op, { op: "openNetns", path: pod, fd: 100 });
    const peerInfo = decodeAttrs(
      decodeAttrs(decodeAttrs(message(plan.steps[1]).attrs.get(IFLA.LINKINFO)!).get(2 /* IFLA_INFO_DATA */)!)
        .get(IFLA_NETKIT.PEER_INFO)!
        .subarray(IFINFOMSG_LEN),
    );
    assert.equal(readU32(peerInfo, IFLA.NET_NS_FD), 100, "the peer is created in the netns the relay opened");
    assert.equal(message(plan.steps[2]).netns, pod, "what is set on the peer is sent where the peer is");
    assert.deepEqual([plan.create, plan.read], [1, { primary: 5, peer: 6 }]);
  });

  const moved: ChangeNetkit = {
    primary: { name: "nk0", ifindex: 7 },
    peer: { name: "nk0p", netns: pod, ifindex: 8 },
    peerTo: { name: "eth0", netns: "/run/netns/pod2" },
    primaryChange: { mtu: 1400, up: true },
    peerChange: { up: true },
    policy: "blackhole",
  };

  it("change: both devices checked first, the move next (down, by ifindex), the other changes where the device is now, up last, read back there", () => {
    const plan = planChange(moved);
    assert.deepEqual(labels(plan.steps), [
      "check that nk0 is the netkit primary this stack manages",
      `check that nk0p (netns ${pod}) is its peer`,
      `set nk0p (netns ${pod}) down`,
      "open netns /run/netns/pod2",
      `move nk0p (netns ${pod}) to netns /run/netns/pod2 as eth0`,
      "change nk0 (mtu)",
      "change policy of nk0",
      "set nk0 up",
      "set eth0 (netns /run/netns/pod2) up",
      "read nk0",
      "read eth0 (netns /run/netns/pod2)",
    ]);
    const move = message(plan.steps[4]);
    assert.deepEqual([move.index, move.netns, readU32(move.attrs, IFLA.NET_NS_FD)], [8, pod, 100], "by the recorded ifindex, from where it was, into the opened netns");
    assert.deepEqual(
      plan.guards.map((g) => [g.step, g.device.name]),
      [
        [0, "nk0"],
        [1, "nk0p"],
      ],
    );
    assert.deepEqual(
      plan.moves.map((m) => [m.step, m.from.name, m.to.name]),
      [[4, "nk0p", "eth0"]],
    );
    assert.deepEqual(
      [plan.peer, plan.read],
      [
        { name: "eth0", netns: "/run/netns/pod2" },
        { primary: 9, peer: 10 },
      ],
    );
  });

  it("change: a device to rename without a recorded ifindex is named before anything is planned", () => {
    const stale = { ...moved, peer: { name: "nk0p", netns: pod } };
    assert.equal(unrelocatable(stale)?.name, "nk0p");
    assert.equal(unrelocatable(moved), undefined);
    assert.equal(unrelocatable({ ...moved, peerTo: undefined, peer: { name: "nk0p" } }), undefined, "a device that stays needs none");
    assert.throws(() => planChange(stale), /without an ifindex/);
  });

  it("delete: checked by name, then deleted by the recorded ifindex (by name only without one)", () => {
    const plan = planDelete({ name: "nk0", ifindex: 7 });
    assert.deepEqual(labels(plan.steps), ["check that nk0 is the netkit primary this stack manages", "delete nk0"]);
    assert.equal(message(plan.steps[plan.del]).index, 7);
    const byName = planDelete({ name: "nk0" });
    assert.equal(message(byName.steps[byName.del]).index, 0);
    const held = planDelete({ name: "nk0", ifindex: 7 }, { mayBeHeld: true }).steps[1]!.op;
    assert.ok(held.op === "netlink" && held.waitMs === HELD_DELETE_WAIT_MS, "a delete the kernel may hold up is sent aside, answered within the wait");
  });

  it("moving back after a failed update: into the netns the state has, under the old name, by ifindex", () => {
    const steps = planMoveBack({ name: "eth0", netns: "/run/netns/pod2" }, { name: "nk0p", netns: pod }, 12);
    assert.deepEqual(labels(steps), [`open netns ${pod}`, `move eth0 (netns /run/netns/pod2) back as nk0p (netns ${pod})`]);
    assert.equal(message(steps[1]).index, 12);
    assert.deepEqual(labels(planMoveBack({ name: "x" }, { name: "y" }, 3)), ["move x back as y"], "a rename needs no netns");
  });
});
