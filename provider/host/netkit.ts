// Netkit device operations on one host. Each CRUD step is one relay batch (one SSH exec):
// the host's kernel release is read first in every batch so that errors can name it.
// create is transactional: if anything after the kernel made the device fails, the device
// is deleted again before the error is reported.
import { CapabilityError, NetkitError, NetlinkError } from "../errors";
import { errnoName, FIRST_NS_FD, type RelayOp, type RelayResult } from "./relay";
import { RelayBatch, type BatchResults } from "./batch";
import { changeLinkRequest, delLinkRequest, getLinkByIndexRequest, getLinkRequest, parseLink, type Link, type LinkChange } from "../netlink/link";
import { decodeNetkitInfo, netkitNewLinkRequest, netkitPolicyChangeRequest, type NetkitCreate, type NetkitInfo, type NetkitPolicy } from "../netlink/netkit";
import { getNsidRequest, isNsidMessage, parseNsid } from "../netlink/nsid";
import type { NlMessage } from "../netlink/message";
import type { SshSession } from "../ssh/session";

/** A device by name, in the host's netns or in the netns file `netns`. */
export interface DeviceRef {
  name: string;
  netns?: string;
}

export interface NetkitLink extends Link {
  /** Absent when the device is not a netkit device. */
  netkit?: NetkitInfo;
}

const ENODEV = 19;
const ENOENT = 2;

function where(d: DeviceRef): string {
  return d.netns ? `${d.name} (netns ${d.netns})` : d.name;
}

const HINTS: Record<string, string> = {
  EEXIST: "a device with this name already exists there; choose another name, or delete the existing device",
  EPERM: "the provider needs CAP_NET_ADMIN on the host: connect as root (or a user with sudo)",
  EACCES: "the kernel refuses this change on a live device",
  ENOENT: "it does not exist on the host",
  ERANGE: "a value is out of the range the kernel accepts",
};

/** The error for a failed op, naming host, operation, errno, extack and a hint. */
function failure(session: SshSession, label: string, r: RelayResult, release: string): NetkitError {
  if (r.kind === "oserror") {
    const name = errnoName(r.errno);
    const what = r.path ? `${r.path}: ` : "";
    return new NetkitError(`${session.host}: ${label} failed: ${what}${name} (${r.message})${r.errno === ENOENT ? ` — ${HINTS.ENOENT}` : ""}`);
  }
  if (r.kind !== "netlink") return new NetkitError(`${session.host}: ${label} failed: no result`);
  const { errno, message } = r.status;
  if (message === "Unknown device type")
    return new CapabilityError(`${session.host}: kernel ${release} has no netkit driver (CONFIG_NETKIT, Linux 6.7 or later)`);
  const name = errnoName(errno);
  return new NetlinkError(session.host, label, errno, name, message, HINTS[name]);
}

function firstFailure(b: RelayBatch, res: BatchResults, session: SshSession): NetkitError | undefined {
  for (let i = 0; i < res.results.length; i++) {
    const r = res.results[i]!;
    if (r.kind === "oserror" || (r.kind === "netlink" && r.status.errno !== 0)) return failure(session, b.labels[i]!, r, res.release);
  }
  return undefined;
}

/** The link a successful RTM_GETLINK op returned, with its netkit info decoded. */
export function linkOf(r: RelayResult | undefined): NetkitLink | undefined {
  if (r?.kind !== "netlink" || r.status.errno !== 0) return undefined;
  const msg = r.messages[0];
  return msg && parseNetkitLink(msg);
}

/** One RTM_NEWLINK message (a reply or a dump entry), with its netkit info decoded. */
export function parseNetkitLink(msg: NlMessage): NetkitLink {
  const link: NetkitLink = parseLink(msg);
  if (link.kind === "netkit" && link.data) link.netkit = decodeNetkitInfo(link.data);
  return link;
}

// Each op runs in the device's netns (the relay's own, the host's, when netns is unset).
function getOp(d: DeviceRef): RelayOp {
  return { netlink: getLinkRequest(d.name), netns: d.netns };
}

function changeOp(d: DeviceRef, c: LinkChange): RelayOp {
  return { netlink: changeLinkRequest(d.name, c), netns: d.netns };
}

function delOp(d: DeviceRef): RelayOp {
  return { netlink: delLinkRequest(d.name), netns: d.netns };
}

export interface CreateNetkit {
  create: NetkitCreate;
  primary: DeviceRef;
  peer?: DeviceRef;
  primaryUp: boolean;
  peerUp?: boolean;
  /** Checks the read-back devices; a message means the kernel did not do what was asked. */
  verify: (primary: NetkitLink, peer: NetkitLink | undefined, release: string) => string | undefined;
}

export interface NetkitDevices {
  primary: NetkitLink;
  peer?: NetkitLink;
  release: string;
}

export async function createNetkit(session: SshSession, c: CreateNetkit): Promise<NetkitDevices> {
  const b = new RelayBatch();
  // Devices created in another netns refer to it by an fd the relay opens first.
  let nextFd = FIRST_NS_FD;
  const create: NetkitCreate = { ...c.create, primary: { ...c.create.primary } };
  if (c.primary.netns) {
    create.primary.netnsFd = nextFd;
    b.add(`open netns ${c.primary.netns}`, { openNetns: c.primary.netns, fd: nextFd++ });
  }
  if (c.peer?.netns && create.peer) {
    create.peer = { ...create.peer, netnsFd: nextFd };
    b.add(`open netns ${c.peer.netns}`, { openNetns: c.peer.netns, fd: nextFd++ });
  }
  const created = b.add(`create netkit ${where(c.primary)}`, { netlink: netkitNewLinkRequest(create) });
  if (c.primaryUp) b.add(`set ${where(c.primary)} up`, changeOp(c.primary, { up: true }));
  if (c.peer && c.peerUp) b.add(`set ${where(c.peer)} up`, changeOp(c.peer, { up: true }));
  const readPrimary = b.add(`read ${where(c.primary)}`, getOp(c.primary));
  const readPeer = c.peer ? b.add(`read ${where(c.peer)}`, getOp(c.peer)) : -1;

  const res = await b.run(session);
  const err = firstFailure(b, res, session);
  const made = res.results[created]?.kind === "netlink" && (res.results[created] as { status: { errno: number } }).status.errno === 0;
  const primary = linkOf(res.results[readPrimary]);
  const peer = c.peer ? linkOf(res.results[readPeer]) : undefined;
  let problem: NetkitError | undefined = err;
  if (!problem && made && (!primary || (c.peer && !peer))) problem = new NetkitError(`${session.host}: created ${where(c.primary)} but could not read it back`);
  if (!problem && primary) {
    const why = c.verify(primary, peer, res.release);
    if (why) problem = why.startsWith("capability: ") ? new CapabilityError(`${session.host}: ${why.slice(12)}`) : new NetkitError(`${session.host}: ${why}`);
  }
  if (problem) {
    if (made) await rollback(session, c.primary, problem);
    throw problem;
  }
  return { primary: primary!, ...(peer ? { peer } : {}), release: res.release };
}

/** Deletes what a failed create made; the original error says whether that worked. */
async function rollback(session: SshSession, d: DeviceRef, cause: NetkitError): Promise<void> {
  try {
    const b = new RelayBatch();
    b.add(`delete ${where(d)}`, delOp(d));
    const res = await b.run(session);
    const err = firstFailure(b, res, session);
    cause.message += err ? `; rolling back failed too, delete ${where(d)} by hand: ${err.message}` : `; the device was deleted again`;
  } catch (e) {
    cause.message += `; rolling back failed, delete ${where(d)} by hand: ${(e as Error).message}`;
  }
}

export type ReadDevices = Partial<NetkitDevices> & { release: string };

/** A device (or netns) that does not exist reads as undefined: ENODEV, or ENOENT for the netns. */
function absent(r: RelayResult | undefined): boolean {
  return (r?.kind === "netlink" && r.status.errno === ENODEV) || (r?.kind === "oserror" && r.errno === ENOENT);
}

/** Reads devices from the host now; a device (or netns) that does not exist reads as undefined. */
export async function readNetkit(session: SshSession, primary: DeviceRef, peer?: DeviceRef): Promise<ReadDevices> {
  const b = new RelayBatch({ readOnly: true });
  const i = b.add(`read ${where(primary)}`, getOp(primary));
  const j = peer ? b.add(`read ${where(peer)}`, getOp(peer)) : -1;
  const res = await b.run(session, false);
  for (const [k, label] of [[i, b.labels[i]!], [j, b.labels[j] ?? ""]] as const) {
    const r = res.results[k];
    if (k >= 0 && r && !absent(r) && (r.kind === "oserror" || (r.kind === "netlink" && r.status.errno !== 0))) throw failure(session, label, r, res.release);
  }
  const out: ReadDevices = { release: res.release };
  const p = linkOf(res.results[i]);
  if (p) out.primary = p;
  const q = peer ? linkOf(res.results[j]) : undefined;
  if (q) out.peer = q;
  return out;
}

export interface ChangeNetkit {
  primary: DeviceRef;
  peer?: DeviceRef;
  primaryChange: LinkChange;
  peerChange?: LinkChange;
  policy?: NetkitPolicy;
  peerPolicy?: NetkitPolicy;
}

/** In-place changes, then a read-back; the first refusal stops the batch. */
export async function changeNetkit(session: SshSession, c: ChangeNetkit): Promise<NetkitDevices> {
  const b = new RelayBatch();
  // Going down before other changes and up after them avoids traffic on half-set devices.
  const order = (ref: DeviceRef, ch: LinkChange | undefined, phase: "pre" | "post") => {
    if (!ch) return;
    const { up, ...rest } = ch;
    if (phase === "pre" && up === false) b.add(`set ${where(ref)} down`, changeOp(ref, { up: false }));
    if (phase === "pre" && Object.keys(rest).length) b.add(`change ${where(ref)} (${Object.keys(rest).join(", ")})`, changeOp(ref, rest));
    if (phase === "post" && up === true) b.add(`set ${where(ref)} up`, changeOp(ref, { up: true }));
  };
  order(c.primary, c.primaryChange, "pre");
  if (c.peer) order(c.peer, c.peerChange, "pre");
  if (c.policy || c.peerPolicy) {
    const req = netkitPolicyChangeRequest(c.primary.name, { ...(c.policy ? { policy: c.policy } : {}), ...(c.peerPolicy ? { peerPolicy: c.peerPolicy } : {}) });
    b.add(`change policy of ${where(c.primary)}`, { netlink: req, netns: c.primary.netns });
  }
  order(c.primary, c.primaryChange, "post");
  if (c.peer) order(c.peer, c.peerChange, "post");
  const i = b.add(`read ${where(c.primary)}`, getOp(c.primary));
  const j = c.peer ? b.add(`read ${where(c.peer)}`, getOp(c.peer)) : -1;
  const res = await b.run(session);
  const err = firstFailure(b, res, session);
  if (err) throw err;
  const primary = linkOf(res.results[i]);
  if (!primary) throw new NetkitError(`${session.host}: ${where(c.primary)} vanished during the update`);
  const peer = c.peer ? linkOf(res.results[j]) : undefined;
  return { primary, ...(peer ? { peer } : {}), release: res.release };
}

/**
 * Deletes a netkit device by name after checking it is the netkit primary we manage
 * (never someone else's device that took the name). Deleting the primary removes its peer.
 */
export async function deleteNetkit(session: SshSession, d: DeviceRef): Promise<"deleted" | "gone"> {
  const now = await readNetkit(session, d);
  if (!now.primary) return "gone";
  if (now.primary.kind !== "netkit" || !now.primary.netkit?.primary)
    throw new NetkitError(`${session.host}: ${where(d)} is not a netkit primary device (kind ${now.primary.kind ?? "none"}); refusing to delete it`);
  const b = new RelayBatch();
  b.add(`delete ${where(d)}`, delOp(d));
  const res = await b.run(session);
  const r = res.results[1];
  if (r?.kind === "netlink" && r.status.errno === ENODEV) return "gone";
  const err = firstFailure(b, res, session);
  if (err) throw err;
  return "deleted";
}

/** Where `ip netns` keeps named network namespaces. */
export const NETNS_DIR = "/run/netns";

/**
 * The peer of a pair's primary, for import: IFLA_LINK gives its ifindex and IFLA_LINK_NETNSID
 * the nsid of its netns, which is matched against the named netns (the nsid each has in the
 * host's netns). Two round trips: list the netns, then ask each for its nsid and the link.
 */
export async function findPeer(session: SshSession, primary: NetkitLink): Promise<{ ref: DeviceRef; link: NetkitLink; netnsName?: string }> {
  const ifindex = primary.linkIfindex;
  if (ifindex === undefined) throw new NetkitError(`${session.host}: ${primary.name} reports no peer (IFLA_LINK)`);
  if (primary.linkNetnsId === undefined) {
    const b = new RelayBatch({ readOnly: true });
    const i = b.add(`read the peer of ${primary.name} (ifindex ${ifindex})`, { netlink: getLinkByIndexRequest(ifindex) });
    const res = await b.run(session);
    const err = firstFailure(b, res, session);
    const link = linkOf(res.results[i]);
    if (err || !link) throw err ?? new NetkitError(`${session.host}: the peer of ${primary.name} (ifindex ${ifindex}) is not readable`);
    return { ref: { name: link.name }, link };
  }
  const list = new RelayBatch({ readOnly: true });
  const l = list.add(`list ${NETNS_DIR}`, { listdir: NETNS_DIR });
  const listed = (await list.run(session, false)).results[l];
  const names = listed?.kind === "names" ? listed.names : [];
  const b = new RelayBatch({ readOnly: true });
  const probes = names.map((n, k) => {
    const path = `${NETNS_DIR}/${n}`;
    b.add(`open netns ${path}`, { openNetns: path, fd: FIRST_NS_FD + k });
    return { name: n, path, nsid: b.add(`nsid of ${path}`, { netlink: getNsidRequest(FIRST_NS_FD + k) }), link: b.add(`read ifindex ${ifindex} in ${path}`, { netlink: getLinkByIndexRequest(ifindex), netns: path }) };
  });
  const res = await b.run(session, false);
  for (const p of probes) {
    const r = res.results[p.nsid];
    const msg = r?.kind === "netlink" ? r.messages.find(isNsidMessage) : undefined;
    if (msg && parseNsid(msg) === primary.linkNetnsId) {
      const link = linkOf(res.results[p.link]);
      if (link) return { ref: { name: link.name, netns: p.path }, link, netnsName: p.name };
    }
  }
  throw new NetkitError(
    `${session.host}: the peer of ${primary.name} is in the netns with nsid ${primary.linkNetnsId}, which has no name in ${NETNS_DIR}; ` +
      "name it (ip netns attach NAME PID) and import again",
  );
}
