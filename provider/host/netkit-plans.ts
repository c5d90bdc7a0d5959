// What each netkit device operation asks of the kernel, as data: pure functions from the
// request (CreateNetkit, ChangeNetkit, a device) to the labelled ops of one relay batch and
// the places in it that the result is read from. netkit-ops.ts runs them and reads the
// results; nothing here touches a host, so every plan is unit-tested on its own.
import { ProviderBugError } from "../errors";
import { delLinkByIndexRequest, moveLinkRequest } from "../netlink/link";
import { netkitNewLinkRequest, netkitPolicyChangeRequest, type NetkitCreate } from "../netlink/netkit";
import type { Step } from "./batch";
import { changeOp, delOp, getOp, HOST_NETNS, ownedExpect, relocates, where, type ChangeNetkit, type CreateNetkit, type DeviceRef, type OwnedDevice } from "./netkit";
import { FIRST_NS_FD, type NetlinkOp, type RelayOp } from "./relay";

/** Steps under construction: `add` returns the new step's index. */
function steps(): { list: Step[]; add: (label: string, op: RelayOp) => number } {
  const list: Step[] = [];
  return { list, add: (label, op) => list.push({ label, op }) - 1 };
}

export interface CreatePlan {
  steps: Step[];
  /** The create itself (what the journal is asked about after a dropped connection). */
  create: number;
  /** The read-backs; peer -1 without one. */
  read: { primary: number; peer: number };
}

/**
 * Create: open the netns the devices go into (as fds the request names), create, set what
 * creation cannot (the alias), bring up as declared, read both back.
 */
export function planCreate(c: CreateNetkit): CreatePlan {
  const s = steps();
  // Devices created in another netns refer to it by an fd the relay opens first.
  let nextFd = FIRST_NS_FD;
  const create: NetkitCreate = { ...c.create, primary: { ...c.create.primary } };
  if (c.primary.netns) {
    create.primary.netnsFd = nextFd;
    s.add(`open netns ${c.primary.netns}`, { op: "openNetns", path: c.primary.netns, fd: nextFd++ });
  }
  if (c.peer?.netns && create.peer) {
    create.peer = { ...create.peer, netnsFd: nextFd };
    s.add(`open netns ${c.peer.netns}`, { op: "openNetns", path: c.peer.netns, fd: nextFd++ });
  }
  const created = s.add(`create netkit ${where(c.primary)}`, { op: "netlink", message: netkitNewLinkRequest(create) });
  for (const [ref, after] of [
    [c.primary, c.primaryAfter],
    [c.peer, c.peerAfter],
  ] as const)
    if (ref && after && Object.keys(after).length) s.add(`change ${where(ref)} (${Object.keys(after).join(", ")})`, changeOp(ref, after));
  if (c.primaryUp) s.add(`set ${where(c.primary)} up`, changeOp(c.primary, { up: true }));
  if (c.peer && c.peerUp) s.add(`set ${where(c.peer)} up`, changeOp(c.peer, { up: true }));
  const primary = s.add(`read ${where(c.primary)}`, getOp(c.primary));
  const peer = c.peer ? s.add(`read ${where(c.peer)}`, getOp(c.peer)) : -1;
  return { steps: s.list, create: created, read: { primary, peer } };
}

/** Reads of devices by name (peer -1 without one). */
export function planRead(primary: DeviceRef, peer?: DeviceRef): { steps: Step[]; read: { primary: number; peer: number } } {
  const s = steps();
  const p = s.add(`read ${where(primary)}`, getOp(primary));
  const q = peer ? s.add(`read ${where(peer)}`, getOp(peer)) : -1;
  return { steps: s.list, read: { primary: p, peer: q } };
}

export interface ChangePlan {
  steps: Step[];
  /** The checks that each device is the one the state recorded; nothing may change if one fails. */
  guards: Array<{ step: number; device: OwnedDevice }>;
  /** The renames and moves, in order: what to undo when a later step fails. */
  moves: Array<{ step: number; from: OwnedDevice; to: DeviceRef }>;
  /** Where the devices are afterwards. */
  primary: DeviceRef;
  peer?: DeviceRef;
  /** The read-backs there; peer -1 without one. */
  read: { primary: number; peer: number };
}

/** A device that is to be renamed or moved but whose ifindex the state lacks (the kernel renames only by ifindex). */
export function unrelocatable(c: ChangeNetkit): OwnedDevice | undefined {
  const pairs: Array<[OwnedDevice | undefined, DeviceRef | undefined]> = [
    [c.primary, c.primaryTo],
    [c.peer, c.peerTo],
  ];
  return pairs.find(([from, to]) => from && relocates(from, to) && from.ifindex === undefined)?.[0];
}

/**
 * An in-place change: check both devices are the ones the state recorded; rename and move
 * first (down, then by the recorded ifindex), so that every later step addresses a device
 * where it is now; then the other changes, going down before them and up after them (no
 * traffic on half-set devices); then read both back (a move may give a new ifindex).
 */
export function planChange(c: ChangeNetkit): ChangePlan {
  const s = steps();
  const guards = [
    {
      step: s.add(`check that ${where(c.primary)} is the netkit primary this stack manages`, { ...getOp(c.primary), expect: ownedExpect(c.primary, "primary") }),
      device: c.primary,
    },
  ];
  if (c.peer) guards.push({ step: s.add(`check that ${where(c.peer)} is its peer`, { ...getOp(c.peer), expect: ownedExpect(c.peer, "peer") }), device: c.peer });
  let nextFd = FIRST_NS_FD;
  const moves: ChangePlan["moves"] = [];
  const relocate = (from: OwnedDevice | undefined, to: DeviceRef | undefined): DeviceRef | undefined => {
    if (!from || !relocates(from, to)) return from;
    if (from.ifindex === undefined) throw new ProviderBugError(`${where(from)} is to be renamed or moved without an ifindex (unrelocatable() first)`);
    s.add(`set ${where(from)} down`, changeOp(from, { up: false }));
    let netnsFd: number | undefined;
    if ((to.netns ?? "") !== (from.netns ?? "")) {
      netnsFd = nextFd++;
      s.add(to.netns ? `open netns ${to.netns}` : "open the host's netns", { op: "openNetns", path: to.netns ?? HOST_NETNS, fd: netnsFd });
    }
    const what = netnsFd === undefined ? `rename ${where(from)} to ${to.name}` : `move ${where(from)} to ${to.netns ? `netns ${to.netns}` : "the host's netns"} as ${to.name}`;
    const step = s.add(what, { op: "netlink", message: moveLinkRequest(from.ifindex, { name: to.name, ...(netnsFd !== undefined ? { netnsFd } : {}) }), netns: from.netns });
    moves.push({ step, from, to });
    return to;
  };
  const primary = relocate(c.primary, c.primaryTo)!;
  const peer = relocate(c.peer, c.peerTo);
  const order = (ref: DeviceRef, ch: ChangeNetkit["primaryChange"] | undefined, phase: "pre" | "post") => {
    if (!ch) return;
    const { up, ...rest } = ch;
    if (phase === "pre" && up === false) s.add(`set ${where(ref)} down`, changeOp(ref, { up: false }));
    if (phase === "pre" && Object.keys(rest).length) s.add(`change ${where(ref)} (${Object.keys(rest).join(", ")})`, changeOp(ref, rest));
    if (phase === "post" && up === true) s.add(`set ${where(ref)} up`, changeOp(ref, { up: true }));
  };
  order(primary, c.primaryChange, "pre");
  if (peer) order(peer, c.peerChange, "pre");
  if (c.policy || c.peerPolicy) {
    const message = netkitPolicyChangeRequest(primary.name, { ...(c.policy ? { policy: c.policy } : {}), ...(c.peerPolicy ? { peerPolicy: c.peerPolicy } : {}) });
    s.add(`change policy of ${where(primary)}`, { op: "netlink", message, netns: primary.netns });
  }
  order(primary, c.primaryChange, "post");
  if (peer) order(peer, c.peerChange, "post");
  const readPrimary = s.add(`read ${where(primary)}`, getOp(primary));
  const readPeer = peer ? s.add(`read ${where(peer)}`, getOp(peer)) : -1;
  return { steps: s.list, guards, moves, primary, ...(peer ? { peer } : {}), read: { primary: readPrimary, peer: readPeer } };
}

/** Undoes a rename or move: the device `ifindex`, now at `now`, back to where the state has it. */
export function planMoveBack(now: DeviceRef, was: DeviceRef, ifindex: number): Step[] {
  const s = steps();
  const netnsFd = (now.netns ?? "") !== (was.netns ?? "") ? FIRST_NS_FD : undefined;
  if (netnsFd !== undefined) s.add(was.netns ? `open netns ${was.netns}` : "open the host's netns", { op: "openNetns", path: was.netns ?? HOST_NETNS, fd: netnsFd });
  s.add(`move ${where(now)} back as ${where(was)}`, {
    op: "netlink",
    message: moveLinkRequest(ifindex, { name: was.name, ...(netnsFd !== undefined ? { netnsFd } : {}) }),
    netns: now.netns,
  });
  return s.list;
}

/** How long a delete that something may hold up waits for the kernel before it reports what holds it. */
export const HELD_DELETE_WAIT_MS = 15_000;

/**
 * Delete of the netkit primary the state recorded, and only it: read it by name and check it
 * is that primary (the recorded ifindex, when there is one), then delete it by ifindex.
 * `mayBeHeld`: a device whose leased queue something references (io_uring's ifq) is
 * unregistered only once that reference drops, the kernel holding the request until then; sent
 * aside, the relay answers within HELD_DELETE_WAIT_MS whatever the kernel does.
 */
export function planDelete(d: OwnedDevice, opts: { mayBeHeld?: boolean } = {}): { steps: Step[]; check: number; del: number } {
  const s = steps();
  const check = s.add(`check that ${where(d)} is the netkit primary this stack manages`, { ...getOp(d), expect: ownedExpect(d, "primary") });
  const op: NetlinkOp = d.ifindex !== undefined ? { op: "netlink", message: delLinkByIndexRequest(d.ifindex), netns: d.netns } : delOp(d);
  const del = s.add(`delete ${where(d)}`, opts.mayBeHeld ? { ...op, waitMs: HELD_DELETE_WAIT_MS } : op);
  return { steps: s.list, check, del };
}

/** Delete by name: what a failed create made (nothing else can have the name in that batch). */
export function planRollback(d: DeviceRef): Step[] {
  return [{ label: `delete ${where(d)}`, op: delOp(d) }];
}
