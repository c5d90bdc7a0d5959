// The BPF program plan (provider/host/programs.ts) and the bpf() attrs it sends
// (provider/bpf/syscall.ts): pure functions, checked against the kernel's layouts.
import assert from "node:assert/strict";
import { observeHook } from "../../../provider/host/programs";
import { planHook, type HookPlan, type HookState } from "../../../provider/host/program-plan";
import { BPF_NETKIT_PRIMARY, hookUnchanged, linkCreate, objGet, parseLinkInfo, parseProgQuery, progQuery } from "../../../provider/bpf/syscall";
import { programs } from "../../../provider/resources/fields";

const A = { pin: "/sys/fs/bpf/a" };
const B = { pin: "/sys/fs/bpf/b" };
const C = { pin: "/sys/fs/bpf/c" };
const D = { pin: "/sys/fs/bpf/d" };
const link = (id: number, progId: number) => ({ type: 13, id, progId, ifindex: 7, attachType: BPF_NETKIT_PRIMARY });

/** A hook running `run` ([progId, linkId] in order) with our links `ours` and declared pins holding `pinned`. */
function state(run: Array<[number, number]>, ours: HookState["ours"], pinned: Array<number | undefined>): HookState {
  return { query: { progIds: run.map(([p]) => p), linkIds: run.map(([, l]) => l), revision: 1n }, ours, pinned };
}

/** What a hook runs after `plan`'s steps, the kernel's way (kernel/bpf/mprog.c), and whether ours ran throughout. */
function simulate(s: HookState, plan: HookPlan, want: number[]): { run: number[]; alwaysOurs: boolean; revisions: Array<bigint | undefined> } {
  type Slot = { prog: number; ref: string };
  const hook: Slot[] = s.query.progIds.map((prog, p) => {
    const i = s.ours.findIndex((l) => l?.id === s.query.linkIds[p]);
    return { prog, ref: i >= 0 ? `e${i}` : `f${s.query.linkIds[p]}` };
  });
  const refOf = (r: { existing: number } | { fresh: number }) => ("existing" in r ? `e${r.existing}` : `n${r.fresh}`);
  const oursRun = () => hook.filter((x) => !x.ref.startsWith("f")).length;
  let alwaysOurs = oursRun() > 0;
  let rev = s.query.revision;
  const revisions: Array<bigint | undefined> = [];
  for (const st of plan.steps) {
    if (st.op === "update") hook.find((x) => x.ref === `e${st.i}`)!.prog = want[st.k]!;
    else if (st.op === "detach")
      hook.splice(
        hook.findIndex((x) => x.ref === `e${st.i}`),
        1,
      );
    else {
      revisions.push(st.revision);
      assert.ok(!hook.some((x) => x.prog === want[st.k]), "EEXIST: the program is attached already");
      const r = st.place.rel;
      const rel = !r
        ? -1
        : "ours" in r
          ? hook.findIndex((x) => x.ref === refOf(r.ours))
          : hook.findIndex((x) => x.ref === `f${s.anchors![r.anchorOf]!.id}` || x.prog === s.anchors![r.anchorOf]!.id);
      if (r) assert.ok(rel >= 0, "ENOENT: the relative is not on the hook");
      hook.splice(r ? (st.place.before ? rel : rel + 1) : st.place.before ? 0 : hook.length, 0, { prog: want[st.k]!, ref: `n${st.k}` });
    }
    rev += 1n;
    if (oursRun() === 0 && want.length) alwaysOurs = false;
  }
  void rev;
  return { run: hook.map((x) => x.prog), alwaysOurs, revisions };
}

describe("unit: BPF programs on netkit hooks", function () {
  it("a new list on an empty hook attaches each program after the previous one, pinned at its index; no revision (the kernel reports 1 for an empty hook)", function () {
    const s = state([], [], [10, 11]);
    const p = planHook(s, [A, B]);
    assert.deepEqual(p.steps, [
      { op: "attach", k: 0, place: { before: false } },
      { op: "attach", k: 1, place: { before: false, rel: { ours: { fresh: 0 } } } },
    ]);
    assert.deepEqual(p.pin, [
      { k: 0, from: { fresh: 0 } },
      { k: 1, from: { fresh: 1 } },
    ]);
    assert.deepEqual(simulate(s, p, [10, 11]).run, [10, 11]);
  });

  it("a changed program at a position swaps in place (BPF_LINK_UPDATE); an unchanged one is left alone; every attach expects the revision it will meet", function () {
    const s = state(
      [
        [10, 100],
        [11, 101],
      ],
      [link(100, 10), link(101, 11)],
      [10, 12],
    );
    assert.deepEqual(planHook(s, [A, C]).steps, [{ op: "update", i: 1, k: 1 }]);
    const none = planHook(state([[10, 100]], [link(100, 10)], [10]), [A]);
    assert.deepEqual([none.steps, none.pin, none.unpin], [[], [], []], "no change, no step");
    const grow = state(
      [
        [10, 100],
        [11, 101],
      ],
      [link(100, 10), link(101, 11)],
      [10, 12, 13],
    );
    const p = planHook({ ...grow, query: { ...grow.query, revision: 7n } }, [A, C, D]);
    assert.deepEqual(p.steps, [
      { op: "update", i: 1, k: 1 },
      { op: "attach", k: 2, place: { before: false, rel: { ours: { existing: 1 } } }, revision: 8n },
    ]);
  });

  it("a shorter list drops the tail after the new links are in; a longer one appends after the provider's last link", function () {
    const s = state(
      [
        [10, 100],
        [11, 101],
      ],
      [link(100, 10), link(101, 11)],
      [10],
    );
    const p = planHook(s, [A]);
    assert.deepEqual([p.steps, p.unpin, p.pin], [[{ op: "detach", i: 1 }], [1], []]);
    assert.deepEqual(planHook(state([[10, 100]], [link(100, 10)], [10, 11]), [A, B]).steps, [
      { op: "attach", k: 1, place: { before: false, rel: { ours: { existing: 0 } } }, revision: 1n },
    ]);
  });

  it("a reorder moves one program at a time, the others running throughout: never only the policy decides", function () {
    const s = state(
      [
        [10, 100],
        [11, 101],
        [12, 102],
      ],
      [link(100, 10), link(101, 11), link(102, 12)],
      [12, 10, 11],
    );
    const p = planHook(s, [C, A, B]);
    const sim = simulate(s, p, [12, 10, 11]);
    assert.deepEqual(sim.run, [12, 10, 11]);
    assert.ok(sim.alwaysOurs, p.steps.map((x) => x.op).join(" "));
    assert.deepEqual(
      p.steps.map((x) => x.op),
      ["detach", "attach"],
      "A and B stay; C moves to the front",
    );
    // The links of A and B move to pins 1 and 2, C's new link to pin 0.
    assert.deepEqual(p.unpin, [0, 1, 2]);
    assert.deepEqual(p.pin, [
      { k: 0, from: { fresh: 0 } },
      { k: 1, from: { existing: 0 } },
      { k: 2, from: { existing: 1 } },
    ]);
    const swap = state(
      [
        [10, 100],
        [11, 101],
      ],
      [link(100, 10), link(101, 11)],
      [11, 10],
    );
    const q = planHook(swap, [B, A]);
    const sq = simulate(swap, q, [11, 10]);
    assert.deepEqual([sq.run, sq.alwaysOurs], [[11, 10], true]);
  });

  it("positions among other tools' programs: first and last, before and after an anchor; another tool's programs never move", function () {
    const s: HookState = {
      ...state(
        [
          [50, 900],
          [51, 901],
        ],
        [],
        [10, 11],
      ),
      anchors: [undefined, { kind: "link", pin: "/sys/fs/bpf/cilium-link", id: 901 }],
    };
    const p = planHook(s, [
      { ...A, position: "first" },
      { ...B, before: { link: "/sys/fs/bpf/cilium-link" } },
    ]);
    assert.deepEqual(simulate(s, p, [10, 11]).run, [10, 50, 11, 51]);
    assert.deepEqual(p.steps[1], { op: "attach", k: 1, place: { before: true, rel: { anchorOf: 1 } }, revision: 2n });
    const last = planHook(s, [A, { ...B, position: "last" }]);
    assert.deepEqual(simulate(s, last, [10, 11]).run, [50, 51, 10, 11]);
    const after: HookState = { ...s, anchors: [{ kind: "program", pin: "/sys/fs/bpf/tool", id: 50 }] };
    assert.deepEqual(simulate(after, planHook(after, [{ ...A, after: { program: "/sys/fs/bpf/tool" } }, B]), [10, 11]).run, [50, 10, 11, 51]);
  });

  it("a program out of its place (another tool attached first since) is moved back; refresh shows it without its position", function () {
    // Ours was first; a tool attached 50 before it.
    const s = state(
      [
        [50, 900],
        [10, 100],
        [11, 101],
      ],
      [link(100, 10), link(101, 11)],
      [10, 11],
    );
    const declared = [{ ...A, position: "first" as const }, B];
    assert.deepEqual(observeHook(s, declared).programs, [A, B], "first no longer holds: the entry reads without it");
    const p = planHook(s, declared);
    const sim = simulate(s, p, [10, 11]);
    assert.deepEqual([sim.run, sim.alwaysOurs], [[10, 50, 11], true]);
  });

  it("refusals before anything changes: an anchor not pinned or not on this hook, another tool running a declared program, positions that contradict the list", function () {
    const s: HookState = { ...state([[50, 900]], [], [10, 11]), anchors: [undefined, { kind: "link", pin: "/sys/fs/bpf/gone" }] };
    assert.throws(() => planHook(s, [A, { ...B, after: { link: "/sys/fs/bpf/gone" } }]), /programs\[1\]\.after\.link: nothing is pinned at \/sys\/fs\/bpf\/gone/);
    const off: HookState = { ...s, anchors: [undefined, { kind: "link", pin: "/sys/fs/bpf/x", id: 77 }] };
    assert.throws(
      () => planHook(off, [A, { ...B, after: { link: "/sys/fs/bpf/x" } }], "peerPrograms"),
      /peerPrograms\[1\]\.after\.link: the link at \/sys\/fs\/bpf\/x is not attached to this hook/,
    );
    assert.throws(
      () => planHook(state([[10, 900]], [], [10]), [A]),
      /programs\[0\]\.pin: the program at \/sys\/fs\/bpf\/a runs on this hook already, attached by another tool \(link 900\)/,
    );
    // B before the tool's 50, A (listed first) after it: the list's order cannot hold.
    const both: HookState = {
      ...state([[50, 900]], [], [10, 11]),
      anchors: [
        { kind: "program", pin: "/sys/fs/bpf/t", id: 50 },
        { kind: "program", pin: "/sys/fs/bpf/t", id: 50 },
      ],
    };
    assert.throws(
      () =>
        planHook(both, [
          { ...A, after: { program: "/sys/fs/bpf/t" } },
          { ...B, before: { program: "/sys/fs/bpf/t" } },
        ]),
      /programs\[\d\]: .* cannot hold together with the list's order/,
    );
    assert.throws(() => planHook(state([], [], [10, undefined]), [A, B]), /programs\[1\]\.pin: nothing is pinned at \/sys\/fs\/bpf\/b/);
  });

  it("a link detached by hand (pin left, not on the hook) is unpinned and its program attached again; another tool's program is left alone", function () {
    const s = state(
      [
        [50, 900],
        [11, 101],
      ],
      [{ ...link(100, 10), ifindex: 0 }, link(101, 11)],
      [10, 11],
    );
    const p = planHook(s, [A, B]);
    assert.deepEqual(simulate(s, p, [10, 11]).run, [50, 10, 11]);
    assert.ok(p.unpin.includes(0));
    assert.deepEqual(observeHook(s, [A, B]), { programs: [B], programIds: [11], otherIds: [50] });
  });

  it("refresh names a program that its pin no longer holds (the loader pinned a new version)", function () {
    const s = state([[10, 100]], [link(100, 10)], [12]);
    assert.deepEqual(observeHook(s, [A]).programs, [{ pin: "program 10, not what /sys/fs/bpf/a holds now" }]);
    assert.deepEqual(planHook(s, [A]).steps, [{ op: "update", i: 0, k: 0 }]);
  });

  it("encodes the attrs as union bpf_attr lays them out; fds and pointers are left to the relay", function () {
    const q = progQuery(7, BPF_NETKIT_PRIMARY);
    assert.equal(q.attr.length, 64);
    assert.deepEqual([q.attr.readUInt32LE(0), q.attr.readUInt32LE(4), q.attr.readUInt32LE(24)], [7, 54, 64]);
    assert.deepEqual(q.bufs, [
      [16, 256],
      [40, 256],
    ]);
    const l = linkCreate("p", 7, BPF_NETKIT_PRIMARY, "l1", { before: false, rel: { slot: "l0", link: true } }, 9n);
    assert.deepEqual([l.attr.readUInt32LE(4), l.attr.readUInt32LE(8), l.attr.readUInt32LE(12), l.attr.readBigUInt64LE(24)], [7, 54, (1 << 4) | (1 << 13), 9n]);
    assert.deepEqual(l.fds, [
      [0, "p"],
      [16, "l0"],
    ]);
    // BPF_F_BEFORE | BPF_F_ID with a program id; first: BPF_F_BEFORE alone.
    const byId = linkCreate("p", 7, BPF_NETKIT_PRIMARY, "l1", { before: true, rel: { id: 42, link: false } });
    assert.deepEqual([byId.attr.readUInt32LE(12), byId.attr.readUInt32LE(16), byId.fds], [(1 << 3) | (1 << 5), 42, [[0, "p"]]]);
    assert.equal(linkCreate("p", 7, BPF_NETKIT_PRIMARY, "l1", { before: true }).attr.readUInt32LE(12), 1 << 3);
    const guard = hookUnchanged(7, BPF_NETKIT_PRIMARY, 2, 5n);
    assert.deepEqual(
      guard.expect!.map(([at, b]) => [at, b.toString("hex")]),
      [
        [24, "02000000"],
        [56, "0500000000000000"],
      ],
    );
    assert.deepEqual(hookUnchanged(7, BPF_NETKIT_PRIMARY, 0, 1n).expect!.length, 1, "an empty hook: the count only");
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
    bad([A, { ...B, position: "first" }], /first is only for the list's first entry/);
    bad([{ ...A, position: "last" }, B], /last is only for the list's last entry/);
    bad([{ ...A, position: "first", after: { link: "/sys/fs/bpf/l" } }], /give one of position, before and after/);
    bad([{ ...A, before: { link: "/sys/fs/bpf/l", program: "/sys/fs/bpf/p" } }], /exactly one of program and link/);
    bad([A, { ...B, after: { program: A.pin } }], /is in this list/);
    bad([{ ...A, after: { link: "/sys/fs/bpf/pulumi-netkit/if3/primary-0" } }], /where the provider pins its links/);
    bad(
      Array.from({ length: 65 }, (_, i) => ({ pin: `/sys/fs/bpf/p${i}` })),
      /64/,
    );
    assert.ok(programs.safeParse([A, B, C]).success);
    assert.ok(
      programs.safeParse([
        { ...A, position: "first" },
        { ...B, after: { link: "/sys/fs/bpf/cilium" } },
        { ...C, position: "last" },
      ]).success,
    );
  });
});
