// The BPF program plan (provider/host/programs.ts) and the bpf() attrs it sends
// (provider/bpf/syscall.ts): pure functions, checked against the kernel's layouts.
import assert from "node:assert/strict";
import { observeHook, planHook, type HookState } from "../../../provider/host/programs";
import { BPF_NETKIT_PRIMARY, linkCreate, objGet, parseLinkInfo, parseProgQuery, progQuery } from "../../../provider/bpf/syscall";
import { programs } from "../../../provider/resources/fields";

const A = { pin: "/sys/fs/bpf/a" };
const B = { pin: "/sys/fs/bpf/b" };
const C = { pin: "/sys/fs/bpf/c" };
const link = (id: number, progId: number) => ({ type: 13, id, progId, ifindex: 7, attachType: BPF_NETKIT_PRIMARY });

/** A hook running `run` ([progId, linkId] in order) with our links `ours` and declared pins holding `pinned`. */
function state(run: Array<[number, number]>, ours: HookState["ours"], pinned: Array<number | undefined>): HookState {
  return { query: { progIds: run.map(([p]) => p), linkIds: run.map(([, l]) => l), revision: 1n }, ours, pinned };
}

describe("unit: BPF programs on netkit hooks", function () {
  it("a new list on an empty hook attaches each program after the previous one", function () {
    assert.deepEqual(planHook(state([], [], [10, 11]), [A, B]), [
      { op: "attach", i: 0, afterOurs: false },
      { op: "attach", i: 1, afterOurs: true },
    ]);
  });

  it("a changed program at a position swaps in place (BPF_LINK_UPDATE); an unchanged one is left alone", function () {
    const s = state(
      [
        [10, 100],
        [11, 101],
      ],
      [link(100, 10), link(101, 11)],
      [10, 12],
    );
    assert.deepEqual(planHook(s, [A, C]), [{ op: "update", i: 1 }]);
    assert.deepEqual(planHook(state([[10, 100]], [link(100, 10)], [10]), [A]), [], "no change, no step");
  });

  it("a shorter list drops the tail; a longer one appends after the provider's last link", function () {
    const s = state(
      [
        [10, 100],
        [11, 101],
      ],
      [link(100, 10), link(101, 11)],
      [10],
    );
    assert.deepEqual(planHook(s, [A]), [{ op: "drop", i: 1, attached: true }]);
    assert.deepEqual(planHook(state([[10, 100]], [link(100, 10)], [10, 11]), [A, B]), [{ op: "attach", i: 1, afterOurs: true }]);
  });

  it("a swap of two programs cannot update in place (the kernel runs a program once per hook): all are re-attached in order", function () {
    const s = state(
      [
        [10, 100],
        [11, 101],
      ],
      [link(100, 10), link(101, 11)],
      [11, 10],
    );
    assert.deepEqual(planHook(s, [B, A]), [
      { op: "drop", i: 0, attached: true },
      { op: "drop", i: 1, attached: true },
      { op: "attach", i: 0, afterOurs: false },
      { op: "attach", i: 1, afterOurs: true },
    ]);
  });

  it("a link detached by hand (pin left, not on the hook) is unpinned and the list re-attached; another tool's program is left alone", function () {
    const s = state(
      [
        [50, 900],
        [11, 101],
      ],
      [{ ...link(100, 10), ifindex: 0 }, link(101, 11)],
      [10, 11],
    );
    assert.deepEqual(planHook(s, [A, B]), [
      { op: "drop", i: 0, attached: false },
      { op: "drop", i: 1, attached: true },
      { op: "attach", i: 0, afterOurs: false },
      { op: "attach", i: 1, afterOurs: true },
    ]);
    assert.deepEqual(observeHook(s, [A, B]), { programs: [B], programIds: [11], otherIds: [50] });
  });

  it("refresh names a program that its pin no longer holds (the loader pinned a new version)", function () {
    const s = state([[10, 100]], [link(100, 10)], [12]);
    assert.deepEqual(observeHook(s, [A]).programs, [{ pin: "program 10, not what /sys/fs/bpf/a holds now" }]);
    assert.deepEqual(planHook(s, [A]), [{ op: "update", i: 0 }]);
  });

  it("encodes the attrs as union bpf_attr lays them out; fds and pointers are left to the relay", function () {
    const q = progQuery(7, BPF_NETKIT_PRIMARY);
    assert.equal(q.attr.length, 64);
    assert.deepEqual([q.attr.readUInt32LE(0), q.attr.readUInt32LE(4), q.attr.readUInt32LE(24)], [7, 54, 64]);
    assert.deepEqual(q.bufs, [
      [16, 256],
      [40, 256],
    ]);
    const l = linkCreate("p", 7, BPF_NETKIT_PRIMARY, "l1", "l0");
    assert.deepEqual([l.attr.readUInt32LE(4), l.attr.readUInt32LE(8), l.attr.readUInt32LE(12)], [7, 54, (1 << 4) | (1 << 13)]);
    assert.deepEqual(l.fds, [
      [0, "p"],
      [16, "l0"],
    ]);
    assert.deepEqual(objGet("/sys/fs/bpf/x", "s"), { op: "bpf", cmd: 7, attr: Buffer.alloc(20), paths: [[0, "/sys/fs/bpf/x"]], keep: "s" });
    const attr = Buffer.alloc(64);
    attr.writeUInt32LE(2, 24);
    const ids = Buffer.alloc(256);
    ids.writeUInt32LE(5, 0);
    ids.writeUInt32LE(6, 4);
    assert.deepEqual(parseProgQuery(attr, [ids, Buffer.alloc(256)]).progIds, [5, 6]);
    const info = Buffer.alloc(96);
    info.writeUInt32LE(13, 0);
    info.writeUInt32LE(4, 4);
    info.writeUInt32LE(9, 8);
    info.writeUInt32LE(7, 16);
    assert.deepEqual(parseLinkInfo(info), { type: 13, id: 4, progId: 9, ifindex: 7, attachType: 0 });
  });

  it("a program list is refused where the kernel would refuse it: a pin outside bpffs or in the provider's directory, a pin twice, > 64", function () {
    const bad = (list: unknown, why: RegExp) => {
      const r = programs.safeParse(list);
      assert.ok(!r.success, JSON.stringify(list));
      assert.match(JSON.stringify(r.error.issues), why);
    };
    bad([{ pin: "/tmp/prog" }], /under \/sys\/fs\/bpf/);
    bad([{ pin: "/sys/fs/bpf/../x" }], /\. or \.\. components/);
    bad([{ pin: "/sys/fs/bpf/pulumi-netkit/if3/primary-0" }], /where the provider pins its links/);
    bad([A, A], /listed twice/);
    bad(
      Array.from({ length: 65 }, (_, i) => ({ pin: `/sys/fs/bpf/p${i}` })),
      /64/,
    );
    assert.ok(programs.safeParse([A, B, C]).success);
  });
});
