// BPF programs on a netkit pair's two hooks (BPF_NETKIT_PRIMARY, BPF_NETKIT_PEER), attached
// through bpf links that the provider pins under BPFFS_ROOT/if<primary ifindex>/<hook>-<i>: a
// pinned link outlives the relay run that made it, and the pin is how the provider knows its
// own attachments from anyone else's. Programs come from pins the user's loader made.
import { NetkitError } from "../errors";
import {
  BPF_NETKIT_PEER,
  BPF_NETKIT_PRIMARY,
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
  type HookQuery,
  type LinkInfo,
} from "../bpf/syscall";
import { RelayBatch } from "./batch";
import type { HostClient } from "./client";
import type { Hint } from "./failure";
import { BPFFS_ROOT } from "./relay";

export const HOOKS = ["primary", "peer"] as const;
export type Hook = (typeof HOOKS)[number];
/** The input field that declares each hook's programs. */
export const HOOK_FIELD: Record<Hook, string> = { primary: "programs", peer: "peerPrograms" };
const ATTACH_TYPE: Record<Hook, number> = { primary: BPF_NETKIT_PRIMARY, peer: BPF_NETKIT_PEER };

export interface DeclaredProgram {
  pin: string;
}
export type HookPrograms = Partial<Record<Hook, DeclaredProgram[] | undefined>>;

export function linkDir(ifindex: number): string {
  return `${BPFFS_ROOT}/if${ifindex}`;
}
export function linkPin(ifindex: number, hook: Hook, i: number): string {
  // bpffs refuses "." in names (EPERM): reserved by the kernel.
  return `${linkDir(ifindex)}/${hook}-${i}`;
}

/** One hook as the kernel runs it, and what the provider's pins and the declared pins hold. */
export interface HookState {
  query: HookQuery;
  /** The provider's pinned link at each position (undefined: no pin there). */
  ours: Array<LinkInfo | undefined>;
  /** The program id at each declared pin (undefined: nothing pinned there). */
  pinned: Array<number | undefined>;
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
  const at: Record<string, { query: number; ours: Array<[number, number]>; pinned: Array<[number, number]> }> = {};
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
    at[h] = { query, ours, pinned };
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
    };
  }
  return out;
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
    out.programs.push(j >= 0 ? declared[j]! : { pin: `program ${progId}, not what ${declared[i]?.pin ?? "the program list"} holds now` });
  });
  return out;
}

/** One step of bringing a hook to its declared programs. */
export type Step =
  | { op: "update"; i: number } // our link i runs declared[i] from now on (BPF_LINK_UPDATE)
  | { op: "drop"; i: number; attached: boolean } // detach our link i (if attached) and unpin it
  | { op: "attach"; i: number; afterOurs: boolean }; // a new link for declared[i], after our link i-1 (or at the end)

/**
 * The steps from a hook's state to `declared`. Links are updated in place where the provider's
 * links run in declared order and no program would run twice (the kernel runs a program once
 * per hook: EEXIST); otherwise they are all replaced, in order.
 */
export function planHook(s: HookState, declared: DeclaredProgram[]): Step[] {
  const attachedOrder = s.query.linkIds.map((id) => (id === 0 ? -1 : s.ours.findIndex((l) => l?.id === id))).filter((i) => i >= 0);
  const pins = s.ours.map((l, i) => (l ? i : -1)).filter((i) => i >= 0);
  const m = pins.length;
  const running = new Set(s.query.progIds);
  const current = (i: number) => s.query.progIds[s.query.linkIds.indexOf(s.ours[i]!.id)];
  const inOrder = attachedOrder.length === m && attachedOrder.every((p, k) => p === k) && pins.every((p, k) => p === k);
  const n = declared.length;
  const changed = (i: number) => s.pinned[i] === undefined || s.pinned[i] !== current(i);
  const updatable = inOrder && Array.from({ length: Math.min(m, n) }, (_, i) => i).every((i) => !changed(i) || (s.pinned[i] !== undefined && !running.has(s.pinned[i])));
  const steps: Step[] = [];
  if (updatable) {
    for (let i = 0; i < Math.min(m, n); i++) if (changed(i)) steps.push({ op: "update", i });
    for (let i = n; i < m; i++) steps.push({ op: "drop", i, attached: true });
    for (let i = m; i < n; i++) steps.push({ op: "attach", i, afterOurs: i > 0 });
    return steps;
  }
  for (const i of pins) steps.push({ op: "drop", i, attached: attachedOrder.includes(i) });
  for (let i = 0; i < n; i++) steps.push({ op: "attach", i, afterOurs: i > 0 });
  return steps;
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
  // A missing program fails before anything is detached.
  for (const h of HOOKS)
    before[h]?.pinned.forEach((id, i) => {
      if (id === undefined) throw new NetkitError(`${host.host}: ${HOOK_FIELD[h]}[${i}].pin: nothing is pinned at ${want[h]![i]!.pin}: ${programHint("ENOENT", undefined)}`);
    });
  const b = new RelayBatch();
  let writes = 0;
  b.add(`create ${BPFFS_ROOT}`, { op: "bpffs", action: "mkdir", path: BPFFS_ROOT });
  b.add(`create ${linkDir(ifindex)}`, { op: "bpffs", action: "mkdir", path: linkDir(ifindex) });
  for (const h of HOOKS) {
    const s = before[h];
    const declared = want[h] ?? [];
    if (!s) continue;
    const field = HOOK_FIELD[h];
    const opened = new Set<number>();
    const openOurs = (i: number) => {
      if (opened.has(i)) return;
      opened.add(i);
      b.add(`open ${linkPin(ifindex, h, i)}`, objGet(linkPin(ifindex, h, i), `l.${h}.${i}`));
    };
    for (const step of planHook(s, declared)) {
      writes++;
      const i = step.i;
      const what = `${field}[${i}]`;
      if (step.op === "update") {
        openOurs(i);
        b.add(`open ${what} (${declared[i]!.pin})`, objGet(declared[i]!.pin, `p.${h}.${i}`));
        b.add(`swap ${what} into ${name}'s ${h} hook (${declared[i]!.pin})`, linkUpdate(`l.${h}.${i}`, `p.${h}.${i}`));
      } else if (step.op === "drop") {
        openOurs(i);
        if (step.attached) b.add(`detach link ${h}.${i} from ${name}'s ${h} hook`, linkDetach(`l.${h}.${i}`));
        b.add(`unpin ${linkPin(ifindex, h, i)}`, { op: "bpffs", action: "unlink", path: linkPin(ifindex, h, i) });
        opened.delete(i);
      } else {
        if (step.afterOurs) openOurs(i - 1);
        b.add(`open ${what} (${declared[i]!.pin})`, objGet(declared[i]!.pin, `p.${h}.${i}`));
        b.add(
          `attach ${what} (${declared[i]!.pin}) to ${name}'s ${h} hook`,
          linkCreate(`p.${h}.${i}`, ifindex, ATTACH_TYPE[h], `l.${h}.${i}`, step.afterOurs ? `l.${h}.${i - 1}` : undefined),
        );
        b.add(`pin the link of ${what} at ${linkPin(ifindex, h, i)}`, objPin(`l.${h}.${i}`, linkPin(ifindex, h, i)));
        opened.add(i);
      }
    }
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
