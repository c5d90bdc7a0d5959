// How a netkit hook gets from what it runs to the declared programs: a pure plan over the
// kernel's list (BPF_PROG_QUERY), the provider's pinned links and the declared pins, checked
// by simulating the kernel's multi-program list (kernel/bpf/mprog.c) step by step.
//
// - Links that already run a declared program, in the declared order and where their
//   position holds, stay (the longest such run); a program that must move is detached and
//   attached again at its place, one at a time, so that the others keep running: a reorder
//   never leaves the hook to the device's policy alone. A link whose program is no longer
//   declared at its index swaps in the new one in place (BPF_LINK_UPDATE).
// - New links go before or after another attachment (BPF_F_BEFORE/BPF_F_AFTER): the previous
//   entry's link, an anchor of another tool (`before`/`after`), or the hook's first or last
//   place (`position`). Other tools' attachments are never touched.
// - Every attach carries the revision the hook will have by then (expected_revision: the
//   query's, plus one per change before it), so that another loader's change in between fails
//   the attach (ESTALE) instead of interleaving; the plan is refused before anything changes
//   where its own steps could not put the list in order.
// - Pins: links made or kept end pinned at <hook>-<declared index>; the pins move only after
//   every hook op ran, so that a run that stops half way leaves new links unpinned (they end
//   with the run) and kept ones where the state expects them.
import type { HookQuery, LinkInfo } from "../bpf/syscall";

export interface DeclaredAnchor {
  program?: string | undefined;
  link?: string | undefined;
}

/** A program a hook runs, by its pin, and where it goes among other tools' programs. */
export interface DeclaredProgram {
  pin: string;
  position?: "first" | "last" | undefined;
  before?: DeclaredAnchor | undefined;
  after?: DeclaredAnchor | undefined;
}

/** An anchor as the kernel knows it: the id of the program or link at its pin (undefined: nothing pinned there). */
export interface AnchorTarget {
  kind: "program" | "link";
  pin: string;
  id?: number;
}

/** One hook as the kernel runs it, and what the provider's pins, the declared pins and the anchors hold. */
export interface HookState {
  query: HookQuery;
  /** The provider's pinned link at each position (undefined: no pin there). */
  ours: Array<LinkInfo | undefined>;
  /** The program id at each declared pin (undefined: nothing pinned there). */
  pinned: Array<number | undefined>;
  /** Each declared entry's anchor (`before`/`after`) as resolved; undefined: it has none. */
  anchors?: Array<AnchorTarget | undefined>;
}

/** A link the plan works with: one of the provider's pinned links (by pin index) or a new one (by declared index). */
export type LinkRef = { existing: number } | { fresh: number };

/** Where an attach goes: before or after one of our links, an entry's anchor, or the hook's first or last place. */
export interface Place {
  before: boolean;
  rel?: { ours: LinkRef } | { anchorOf: number };
}

export type Step =
  /** Our link `i` runs declared[k] from now on (BPF_LINK_UPDATE; it keeps its place). */
  | { op: "update"; i: number; k: number }
  /** Our link `i` stops running (BPF_LINK_DETACH): dropped, or moving. */
  | { op: "detach"; i: number }
  /** A new link for declared[k] at `place`, expecting the hook at `revision` (absent: the hook ran nothing when read). */
  | { op: "attach"; k: number; place: Place; revision?: bigint };

export interface HookPlan {
  steps: Step[];
  /** Pins of ours to remove (dropped links, and links whose index changes), before `pin`. */
  unpin: number[];
  /** Where each link ends pinned: declared index k ← the link. */
  pin: Array<{ k: number; from: LinkRef }>;
}

/** A place on the simulated hook: a program, its link (0: none), and which of ours it is. */
interface Slot {
  prog: number;
  link: number;
  ours?: LinkRef;
}

const sameRef = (a: LinkRef | undefined, b: LinkRef) => !!a && ("existing" in a ? "existing" in b && a.existing === b.existing : "fresh" in b && a.fresh === b.fresh);

/** The refusal of a plan, before anything changes: a field path and why. */
export class PlanError extends Error {}

/** The hook's slots as the query lists them, ours marked by pin index. */
function slotsOf(s: HookState): Slot[] {
  return s.query.progIds.map((prog, p) => {
    const link = s.query.linkIds[p] ?? 0;
    const i = link ? s.ours.findIndex((l) => l?.id === link) : -1;
    return i >= 0 ? { prog, link, ours: { existing: i } } : { prog, link };
  });
}

function anchorOf(d: DeclaredProgram): { dir: "before" | "after"; a: DeclaredAnchor } | undefined {
  if (d.before) return { dir: "before", a: d.before };
  if (d.after) return { dir: "after", a: d.after };
  return undefined;
}

function matches(slot: Slot, t: AnchorTarget): boolean {
  return t.id !== undefined && (t.kind === "link" ? slot.link === t.id : slot.prog === t.id);
}

/** Whether entry k, at `at` on `hook`, is where its position or anchor says (other tools' slots only). */
function placedRight(hook: Slot[], at: number, d: DeclaredProgram, t: AnchorTarget | undefined): boolean {
  if (d.position === "first") return hook.slice(0, at).every((x) => x.ours);
  if (d.position === "last") return hook.slice(at + 1).every((x) => x.ours);
  const anchor = anchorOf(d);
  if (!anchor || !t) return true;
  const x = hook.findIndex((slot) => matches(slot, t));
  return x >= 0 && (anchor.dir === "before" ? x > at : x < at);
}

/**
 * Whether the provider's links on `hook` run declared[0..n-1] in order, each where its
 * position or anchor says; the first entry out of place otherwise (-1: all in place).
 */
export function firstOutOfPlace(
  hook: Array<{ prog: number; link: number; ours?: unknown }>,
  order: Array<{ prog: number }>,
  declared: DeclaredProgram[],
  anchors: HookState["anchors"],
): number {
  const ours = hook.map((x, at) => ({ x, at })).filter(({ x }) => x.ours);
  for (let k = 0; k < declared.length; k++) {
    const o = ours[k];
    if (!o || o.x.prog !== order[k]!.prog) return k;
    if (!placedRight(hook as Slot[], o.at, declared[k]!, anchors?.[k])) return k;
  }
  return ours.length > declared.length ? declared.length : -1;
}

/** Whether the entry declared[k], which the hook runs at `at`, is where its position or anchor says (refresh). */
export function holdsPlace(s: HookState, at: number, declared: DeclaredProgram[], k: number): boolean {
  return placedRight(slotsOf(s), at, declared[k]!, s.anchors?.[k]);
}

/** Longest run of candidates (by declared index) whose hook positions increase. */
function longestInOrder(cands: Array<{ k: number; at: number }>): Set<number> {
  const best: number[] = [];
  const prev: number[] = [];
  cands.forEach((c, j) => {
    best[j] = 1;
    prev[j] = -1;
    for (let q = 0; q < j; q++)
      if (cands[q]!.at < c.at && best[q]! + 1 > best[j]) {
        best[j] = best[q]! + 1;
        prev[j] = q;
      }
  });
  let end = -1;
  best.forEach((b, j) => (end < 0 || b > best[end]! ? (end = j) : undefined));
  const keep = new Set<number>();
  for (let j = end; j >= 0; j = prev[j]!) keep.add(cands[j]!.k);
  return keep;
}

/** Inserts `slot` as the kernel's bpf_mprog_attach would place it; the index it went to. */
function insert(hook: Slot[], slot: Slot, place: Place, anchors: HookState["anchors"]): number {
  let rel = -1;
  if (place.rel && "ours" in place.rel) {
    const r = place.rel.ours;
    rel = hook.findIndex((x) => sameRef(x.ours, r));
  } else if (place.rel) rel = hook.findIndex((x) => matches(x, anchors![(place.rel as { anchorOf: number }).anchorOf]!));
  const at = place.rel ? (place.before ? rel : rel + 1) : place.before ? 0 : hook.length;
  hook.splice(at, 0, slot);
  return at;
}

/**
 * The plan that brings a hook from `s` to `declared` (`field`: the input that declares it, for
 * refusals). Throws PlanError where the kernel or the declared positions make it impossible.
 */
export function planHook(s: HookState, declared: DeclaredProgram[], field = "programs"): HookPlan {
  const n = declared.length;
  const want = declared.map((d, k) => {
    const id = s.pinned[k];
    if (id === undefined)
      throw new PlanError(`${field}[${k}].pin: nothing is pinned at ${d.pin}: load the program and pin it first (bpftool prog load PROG.o ${d.pin} type tc, or your loader's pin)`);
    return id;
  });
  const hook = slotsOf(s);
  // A declared program another tool attached already: the kernel runs a program once per hook.
  want.forEach((id, k) => {
    const x = hook.find((slot) => slot.prog === id && !slot.ours);
    if (x)
      throw new PlanError(
        `${field}[${k}].pin: the program at ${declared[k]!.pin} runs on this hook already, attached by another tool (${x.link ? `link ${x.link}` : "without a link"}): the kernel runs a program once per hook`,
      );
  });
  declared.forEach((d, k) => {
    const anchor = anchorOf(d);
    if (!anchor) return;
    const t = s.anchors?.[k];
    const path = `${field}[${k}].${anchor.dir}.${t?.kind ?? (anchor.a.link ? "link" : "program")}`;
    if (t?.id === undefined)
      throw new PlanError(
        `${path}: nothing is pinned at ${t?.pin ?? anchor.a.link ?? anchor.a.program}: the other tool's ${t?.kind ?? "attachment"} to place it next to must exist first`,
      );
    const x = hook.find((slot) => matches(slot, t));
    if (!x) throw new PlanError(`${path}: the ${t.kind} at ${t.pin} is not attached to this hook`);
    if (x.ours) throw new PlanError(`${path}: ${t.pin} is one of the provider's links on this hook: the list's order places its own programs`);
  });

  const attachedIdx = new Set(hook.flatMap((x) => (x.ours && "existing" in x.ours ? [x.ours.existing] : [])));
  const posOf = (i: number) => hook.findIndex((x) => x.ours && "existing" in x.ours && x.ours.existing === i);
  // Each entry's candidate: the link that runs its program now, or its own index's link when
  // that one runs nothing declared and the program runs nowhere (a swap in place).
  const cands: Array<{ k: number; at: number; i: number; update: boolean }> = [];
  for (let k = 0; k < n; k++) {
    const running = hook.findIndex((x) => x.ours && x.prog === want[k]);
    let c: { k: number; at: number; i: number; update: boolean } | undefined;
    if (running >= 0) c = { k, at: running, i: (hook[running]!.ours as { existing: number }).existing, update: false };
    else if (attachedIdx.has(k) && !want.includes(hook[posOf(k)]!.prog) && !hook.some((x) => x.prog === want[k])) c = { k, at: posOf(k), i: k, update: true };
    if (c && placedRight(hook, c.at, declared[k]!, s.anchors?.[k])) cands.push(c);
  }
  const kept = longestInOrder(cands);
  const keptRef = new Map(cands.filter((c) => kept.has(c.k)).map((c) => [c.k, c]));

  const steps: Step[] = [];
  // The kernel reports revision 1 for a hook that runs nothing, whatever its true count: the
  // attaches then carry none, and the guard checks the count instead (hookUnchanged).
  let revision = hook.length ? s.query.revision : undefined;
  const changed = () => revision !== undefined && (revision += 1n);
  const final: LinkRef[] = [];
  const detached = new Set<number>();
  const firstKept = [...kept].sort((a, b) => a - b)[0];
  for (let k = 0; k < n; k++) {
    const c = keptRef.get(k);
    if (c) {
      if (c.update) {
        steps.push({ op: "update", i: c.i, k });
        hook[hook.findIndex((x) => sameRef(x.ours, { existing: c.i }))]!.prog = want[k]!;
        changed();
      }
      final[k] = { existing: c.i };
      continue;
    }
    // A program of ours in the wrong place moves: off first (the kernel runs it once per hook).
    const at = hook.findIndex((x) => x.ours && x.prog === want[k]);
    if (at >= 0) {
      const i = (hook[at]!.ours as { existing: number }).existing;
      steps.push({ op: "detach", i });
      detached.add(i);
      hook.splice(at, 1);
      changed();
    }
    const d = declared[k]!;
    const anchor = anchorOf(d);
    const place: Place = anchor
      ? { before: anchor.dir === "before", rel: { anchorOf: k } }
      : d.position
        ? { before: d.position === "first" }
        : k > 0
          ? { before: false, rel: { ours: final[k - 1]! } }
          : firstKept !== undefined
            ? { before: true, rel: { ours: final[firstKept] ?? { existing: keptRef.get(firstKept)!.i } } }
            : { before: false };
    insert(hook, { prog: want[k]!, link: -1 - k, ours: { fresh: k } }, place, s.anchors);
    steps.push({ op: "attach", k, place, ...(revision !== undefined ? { revision } : {}) });
    changed();
    final[k] = { fresh: k };
  }
  // Links no longer declared go last, after the new ones are in.
  const keptIdx = new Set([...keptRef.values()].map((c) => c.i));
  s.ours.forEach((l, i) => {
    if (!l || keptIdx.has(i) || detached.has(i) || !attachedIdx.has(i)) return;
    steps.push({ op: "detach", i });
    hook.splice(
      hook.findIndex((x) => sameRef(x.ours, { existing: i })),
      1,
    );
    changed();
  });
  const bad = firstOutOfPlace(
    hook,
    want.map((prog) => ({ prog })),
    declared,
    s.anchors,
  );
  if (bad >= 0) {
    const d = declared[bad];
    const a = d && anchorOf(d);
    const why = a ? `${a.dir} ${s.anchors?.[bad]?.pin}` : d?.position ? `position ${d.position}` : "its place in the list";
    throw new PlanError(`${field}[${bad}]: ${why} cannot hold together with the list's order and the other entries' places on this hook; reorder the list or change the anchors`);
  }
  const unpin = s.ours.flatMap((l, i) => (l && !(keptIdx.has(i) && final[i] && sameRef(final[i], { existing: i })) ? [i] : []));
  const pin = final.flatMap((from, k) => ("existing" in from && from.existing === k ? [] : [{ k, from }]));
  return { steps, unpin, pin };
}

/** Whether a plan changes anything. */
export const isEmptyPlan = (p: HookPlan) => !p.steps.length && !p.unpin.length && !p.pin.length;
