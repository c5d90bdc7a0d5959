// BPF programs on a netkit pair's two hooks (BPF_NETKIT_PRIMARY, BPF_NETKIT_PEER), attached
// through bpf links that the provider pins under BPFFS_ROOT/if<primary ifindex>/<hook>-<i>: a
// pinned link outlives the relay run that made it, and the pin is how the provider knows its
// own attachments from anyone else's. Programs come from pins the user's loader made; where
// they go among other tools' programs, and how a hook gets there, is program-plan.ts's.
import { NetkitError } from "../errors";
import {
  BPF_NETKIT_PEER,
  BPF_NETKIT_PRIMARY,
  hookUnchanged,
  linkCreate,
  linkDetach,
  linkUpdate,
  objGet,
  objInfo,
  objPin,
  parseLinkInfo,
  parseProgInfo,
  parseProgQuery,
  progQuery,
  type Placement,
} from "../bpf/syscall";
import { holdsPlace, isEmptyPlan, planHook, PlanError, type AnchorTarget, type DeclaredProgram, type HookPlan, type HookState, type LinkRef, type Place } from "./program-plan";
import { RelayBatch } from "./batch";
import type { HostClient } from "./client";
import type { Hint } from "./failure";
import { BPFFS_ROOT } from "./relay";

export const HOOKS = ["primary", "peer"] as const;
export type Hook = (typeof HOOKS)[number];
/** The input field that declares each hook's programs. */
export const HOOK_FIELD: Record<Hook, string> = { primary: "programs", peer: "peerPrograms" };
const ATTACH_TYPE: Record<Hook, number> = { primary: BPF_NETKIT_PRIMARY, peer: BPF_NETKIT_PEER };

export type { DeclaredProgram, HookState } from "./program-plan";
export type HookPrograms = Partial<Record<Hook, DeclaredProgram[] | undefined>>;

export function linkDir(ifindex: number): string {
  return `${BPFFS_ROOT}/if${ifindex}`;
}
export function linkPin(ifindex: number, hook: Hook, i: number): string {
  // bpffs refuses "." in names (EPERM): reserved by the kernel.
  return `${linkDir(ifindex)}/${hook}-${i}`;
}

/** A hook as refresh reports it. */
export interface ObservedHook {
  /** The declared entries in the order the kernel runs the provider's links (a changed program reads as such). */
  programs: DeclaredProgram[];
  /** Program ids run through the provider's links, in order. */
  programIds: number[];
  /** Program ids on the hook that the provider did not attach (another tool's), in order. */
  otherIds: number[];
}

/**
 * Reads the hooks of the pair whose primary is `ifindex`: for each, the kernel's list, the
 * provider's first `oursCount` pinned links and the programs at the declared pins. One round trip.
 */
export async function readHooks(host: HostClient, ifindex: number, declared: HookPrograms, oursCount: Partial<Record<Hook, number>>): Promise<Partial<Record<Hook, HookState>>> {
  const b = new RelayBatch({ readOnly: true });
  const at: Record<string, { query: number; ours: Array<[number, number]>; pinned: Array<[number, number]>; anchors: Array<[number, number] | undefined> }> = {};
  const hooks = HOOKS.filter((h) => declared[h] !== undefined || (oursCount[h] ?? 0) > 0);
  for (const h of hooks) {
    const query = b.add(`query the ${h} hook of ifindex ${ifindex}`, progQuery(ifindex, ATTACH_TYPE[h]));
    const ours: Array<[number, number]> = [];
    for (let i = 0; i < (oursCount[h] ?? 0); i++) {
      const slot = `l.${h}.${i}`;
      ours.push([b.add(`open ${linkPin(ifindex, h, i)}`, objGet(linkPin(ifindex, h, i), slot)), b.add(`info of ${linkPin(ifindex, h, i)}`, objInfo(slot))]);
    }
    const pinned: Array<[number, number]> = [];
    (declared[h] ?? []).forEach((p, i) => {
      const slot = `p.${h}.${i}`;
      pinned.push([b.add(`open ${p.pin}`, objGet(p.pin, slot)), b.add(`info of ${p.pin}`, objInfo(slot))]);
    });
    // Each entry's anchor: the id of the other tool's program or link it goes next to.
    const anchors = (declared[h] ?? []).map((p, i) => {
      const t = anchorPin(p);
      if (!t) return undefined;
      const slot = `a.${h}.${i}`;
      return [b.add(`open ${t.pin}`, objGet(t.pin, slot)), b.add(`info of ${t.pin}`, objInfo(slot))] as [number, number];
    });
    at[h] = { query, ours, pinned, anchors };
  }
  if (!hooks.length) return {};
  const res = await host.run(b, false);
  const out: Partial<Record<Hook, HookState>> = {};
  for (const h of hooks) {
    const a = at[h]!;
    const q = res.at(a.query);
    if (q?.kind !== "bpf" || q.errno !== 0) {
      // ENODEV/ENXIO: the device is gone or not a netkit primary; the caller reads the device itself.
      if (q?.kind === "bpf" && ["ENODEV", "ENXIO"].includes(res.errnoName(a.query))) return {};
      throw host.failure(res, a.query, programHint);
    }
    const info = (pair: [number, number]) => {
      const [get, inf] = pair;
      const r = res.at(inf);
      if (res.errno(get) !== 0 || r?.kind !== "bpf" || r.errno !== 0) {
        if (res.errno(get) !== 0 && res.errnoName(get) !== "ENOENT") throw host.failure(res, get, programHint);
        return undefined;
      }
      return r.bufs[0];
    };
    out[h] = {
      query: parseProgQuery(q.attr, q.bufs),
      ours: a.ours.map((p) => {
        const i = info(p);
        return i && parseLinkInfo(i);
      }),
      pinned: a.pinned.map((p) => {
        const i = info(p);
        return i && parseProgInfo(i).id;
      }),
      anchors: (declared[h] ?? []).map((p, k): AnchorTarget | undefined => {
        const t = anchorPin(p);
        const pair = a.anchors[k];
        if (!t || !pair) return undefined;
        const i = info(pair);
        // bpf_prog_info and bpf_link_info both begin with type, id.
        return i ? { ...t, id: t.kind === "link" ? parseLinkInfo(i).id : parseProgInfo(i).id } : t;
      }),
    };
  }
  return out;
}

/** The pin an entry's `before`/`after` names, and of what. */
function anchorPin(p: DeclaredProgram): AnchorTarget | undefined {
  const a = p.before ?? p.after;
  if (!a) return undefined;
  return a.link !== undefined ? { kind: "link", pin: a.link } : a.program !== undefined ? { kind: "program", pin: a.program } : undefined;
}

/** What refresh shows of a hook: the provider's links in run order, mapped back to declared pins. */
export function observeHook(s: HookState, declared: DeclaredProgram[]): ObservedHook {
  const ourPos = new Map<number, number>();
  // A link of ours is attached if the hook lists it (a peer hook's link reports the peer's ifindex).
  s.ours.forEach((l, i) => l && l.id !== 0 && ourPos.set(l.id, i));
  const out: ObservedHook = { programs: [], programIds: [], otherIds: [] };
  s.query.progIds.forEach((progId, k) => {
    const i = ourPos.get(s.query.linkIds[k] ?? 0);
    if (i === undefined) {
      out.otherIds.push(progId);
      return;
    }
    out.programIds.push(progId);
    const j = s.pinned[i] === progId ? i : s.pinned.findIndex((p) => p === progId);
    if (j < 0) {
      out.programs.push({ pin: `program ${progId}, not what ${declared[i]?.pin ?? "the program list"} holds now` });
      return;
    }
    // Out of its place among other tools' programs (one was attached before it since): the
    // entry reads without its position or anchor, so that the diff shows it and up moves it.
    out.programs.push(holdsPlace(s, k, declared, j) ? declared[j]! : { pin: declared[j]!.pin });
  });
  return out;
}

/** What to do about a refused bpf op, by errno. */
export const programHint: Hint = (name) =>
  ({
    ENOENT: "nothing is pinned there: load the program and pin it first (bpftool prog load PROG.o /sys/fs/bpf/NAME type tc, or your loader's pin)",
    EEXIST: "that program is attached to this hook already (the kernel runs a program once per hook): by another entry of the list, or by another tool",
    EINVAL: "not a BPF program that netkit can run: netkit runs tc (sched_cls) programs",
    EPERM: "bpffs must be mounted at /sys/fs/bpf (mount -t bpf bpf /sys/fs/bpf) and the connection needs root",
    EACCES: "the connection needs root (CAP_BPF and CAP_NET_ADMIN)",
    ENOLINK: "the link was detached meanwhile: refresh, then run up again",
    ESTALE:
      "another loader changed this hook since the provider read it (attached, detached or moved a program): this step and those after it did not run, so nothing of ours is interleaved with it; run up again (refresh shows what the hook runs now)",
  })[name];

/**
 * Brings the hooks of the pair `name` (primary `ifindex`) to `want`: reads them, plans each
 * hook, and runs the steps in one batch. `known`: how many links the state says each hook has
 * (to find the provider's pins). Returns what the hooks run afterwards.
 */
export async function applyPrograms(
  host: HostClient,
  name: string,
  ifindex: number,
  want: HookPrograms,
  known: Partial<Record<Hook, number>>,
): Promise<Partial<Record<Hook, ObservedHook>>> {
  const count = (h: Hook) => Math.max(known[h] ?? 0, want[h]?.length ?? 0);
  const counts = { primary: count("primary"), peer: count("peer") };
  const before = await readHooks(host, ifindex, want, counts);
  // Every refusal the plan can foresee comes before anything changes.
  const plans: Partial<Record<Hook, HookPlan>> = {};
  for (const h of HOOKS) {
    const st = before[h];
    if (!st) continue;
    try {
      plans[h] = planHook(st, want[h] ?? [], HOOK_FIELD[h]);
    } catch (e) {
      if (e instanceof PlanError) throw new NetkitError(`${host.host}: ${name}: ${e.message}`);
      throw e;
    }
  }
  const b = new RelayBatch();
  let writes = 0;
  b.add(`create ${BPFFS_ROOT}`, { op: "bpffs", action: "mkdir", path: BPFFS_ROOT });
  b.add(`create ${linkDir(ifindex)}`, { op: "bpffs", action: "mkdir", path: linkDir(ifindex) });
  for (const h of HOOKS) {
    const plan = plans[h];
    const st = before[h];
    if (!plan || !st || isEmptyPlan(plan)) continue;
    writes++;
    addHookOps(b, { name, ifindex, hook: h, state: st, declared: want[h] ?? [], plan });
  }
  if (writes) {
    const err = host.firstFailure(await host.run(b), programHint);
    if (err) throw err;
  }
  const after = await readHooks(host, ifindex, want, { primary: want.primary?.length ?? 0, peer: want.peer?.length ?? 0 });
  const out: Partial<Record<Hook, ObservedHook>> = {};
  for (const h of HOOKS) if (after[h]) out[h] = observeHook(after[h], want[h] ?? []);
  return out;
}

/**
 * The relay ops of one hook's plan: a guard that the hook is as read, our pinned links and the
 * anchors opened, the steps, then the pins moved to where the state expects them.
 */
function addHookOps(b: RelayBatch, x: { name: string; ifindex: number; hook: Hook; state: HookState; declared: DeclaredProgram[]; plan: HookPlan }): void {
  const { name, ifindex, hook: h, state: st, declared, plan } = x;
  const field = HOOK_FIELD[h];
  const q = st.query;
  b.add(
    `check that ${name}'s ${h} hook still runs what was read (${q.progIds.length} programs, revision ${q.revision})`,
    hookUnchanged(ifindex, ATTACH_TYPE[h], q.progIds.length, q.revision),
  );
  const ours = (i: number) => `l.${h}.${i}`;
  const fresh = (k: number) => `n.${h}.${k}`;
  const slotOf = (r: LinkRef) => ("existing" in r ? ours(r.existing) : fresh(r.fresh));
  st.ours.forEach((l, i) => l && b.add(`open ${linkPin(ifindex, h, i)}`, objGet(linkPin(ifindex, h, i), ours(i))));
  declared.forEach((d, k) => {
    const t = st.anchors?.[k];
    if (t) b.add(`open ${t.pin} (${field}[${k}].${d.before ? "before" : "after"})`, objGet(t.pin, `a.${h}.${k}`));
  });
  for (const step of plan.steps) {
    if (step.op === "detach") {
      b.add(`detach link ${h}.${step.i} from ${name}'s ${h} hook`, linkDetach(ours(step.i)));
      continue;
    }
    const d = declared[step.k]!;
    const what = `${field}[${step.k}]`;
    b.add(`open ${what} (${d.pin})`, objGet(d.pin, `p.${h}.${step.k}`));
    if (step.op === "update") {
      b.add(`swap ${what} into ${name}'s ${h} hook (${d.pin})`, linkUpdate(ours(step.i), `p.${h}.${step.k}`));
      continue;
    }
    const rel = step.place.rel;
    const placement: Placement = {
      before: step.place.before,
      ...(rel && "ours" in rel ? { rel: { slot: slotOf(rel.ours), link: true } } : {}),
      ...(rel && "anchorOf" in rel ? { rel: { slot: `a.${h}.${rel.anchorOf}`, link: st.anchors?.[rel.anchorOf]?.kind === "link" } } : {}),
    };
    b.add(
      `attach ${what} (${d.pin}) to ${name}'s ${h} hook, ${describePlace(step.place, st, h)}`,
      linkCreate(`p.${h}.${step.k}`, ifindex, ATTACH_TYPE[h], fresh(step.k), placement, step.revision ?? 0n),
    );
  }
  // Pins last: a run that stopped before here leaves new links unpinned (they end with it).
  for (const i of plan.unpin) b.add(`unpin ${linkPin(ifindex, h, i)}`, { op: "bpffs", action: "unlink", path: linkPin(ifindex, h, i) });
  for (const p of plan.pin) b.add(`pin the link of ${field}[${p.k}] at ${linkPin(ifindex, h, p.k)}`, objPin(slotOf(p.from), linkPin(ifindex, h, p.k)));
}

function describePlace(p: Place, st: HookState, h: Hook): string {
  const dir = p.before ? "before" : "after";
  if (!p.rel) return p.before ? "first" : "last";
  if ("anchorOf" in p.rel) return `${dir} ${st.anchors?.[p.rel.anchorOf]?.pin}`;
  const r = p.rel.ours;
  return `${dir} ${"existing" in r ? `link ${h}.${r.existing}` : `the new link of ${HOOK_FIELD[h]}[${r.fresh}]`}`;
}

/**
 * Unpins every link the provider pinned for the primary `ifindex`, after the device is gone
 * (its links were detached with it; each ends with its last pin).
 */
export async function removePrograms(host: HostClient, ifindex: number): Promise<void> {
  const b = new RelayBatch();
  const clear = b.add(`unpin the links in ${linkDir(ifindex)}`, { op: "bpffs", action: "clear", path: linkDir(ifindex) });
  const rm = b.add(`remove ${linkDir(ifindex)}`, { op: "bpffs", action: "rmdir", path: linkDir(ifindex) });
  const r = await host.run(b, false);
  for (const i of [clear, rm]) if (r.errno(i) !== 0 && r.errnoName(i) !== "ENOENT") throw host.failure(r, i, programHint);
}
