// Netkit devices as the host client reads and writes them: references, decoded links, the
// relay ops that address a device in its netns, and what to say about the kernel's refusals.
import type { Expect, NetlinkOp, RelayResult } from "./relay";
import { u8 } from "../netlink/attributes";
import { IFLA, IFLA_INFO, IFLA_NETKIT } from "../netlink/constants";
import { changeLinkRequest, delLinkRequest, getLinkRequest, parseLink, type Link, type LinkChange } from "../netlink/link";
import { decodeNetkitInfo, type NetkitCreate, type NetkitInfo, type NetkitPolicy } from "../netlink/netkit";
import type { NlMessage } from "../netlink/message";
import type { NetkitError } from "../errors";
import type { Hint } from "./failure";

/** A device by name, in the host's netns or in the netns file `netns`. */
export interface DeviceRef {
  name: string;
  netns?: string;
}

export interface NetkitLink extends Link {
  /** Absent when the device is not a netkit device. */
  netkit?: NetkitInfo;
}

/** Where `ip netns` keeps named network namespaces. */
export const NETNS_DIR = "/run/netns";

export const ENODEV = 19;
export const ENOENT = 2;

/** Whether `to` names another name or netns than `from`: a rename or a move. */
export function relocates(from: DeviceRef, to: DeviceRef | undefined): to is DeviceRef {
  return !!to && (to.name !== from.name || (to.netns ?? "") !== (from.netns ?? ""));
}

/** The relay's own netns file: the host's (the relay runs there and returns there after each op). */
export const HOST_NETNS = "/proc/self/ns/net";

export function where(d: DeviceRef): string {
  return d.netns ? `${d.name} (netns ${d.netns})` : d.name;
}

const HINTS: Record<string, string> = {
  EEXIST: "a device with this name already exists there; choose another name, or delete the existing device",
  EPERM: "the provider needs CAP_NET_ADMIN on the host: connect as root, or as a user with sudo (pulumi config set netkit:sudo true, or the resource's connection.sudo)",
  EACCES: "the kernel refuses this change on a live device",
  ENOENT: "it does not exist on the host",
  ERANGE: "a value is out of the range the kernel accepts",
};
export const netkitHint: Hint = (errnoName) => HINTS[errnoName];

/**
 * The link a successful RTM_GETLINK op returned, with its netkit info decoded; a reply that
 * failed its Expect counts only when `evenIfUnexpected` (to say what was found instead).
 */
export function linkOf(r: RelayResult | undefined, evenIfUnexpected = false): NetkitLink | undefined {
  if (r?.kind !== "netlink" || r.status.errno !== 0 || (r.mismatch !== undefined && !evenIfUnexpected)) return undefined;
  const msg = r.messages[0];
  return msg && parseNetkitLink(msg);
}

/** One RTM_NEWLINK message (a reply or a dump entry), with its netkit info decoded. */
export function parseNetkitLink(msg: NlMessage): NetkitLink {
  const link: NetkitLink = parseLink(msg);
  if (link.kind === "netkit" && link.data) link.netkit = decodeNetkitInfo(link.data);
  return link;
}

/** A device (or netns) that does not exist reads as undefined: ENODEV, or ENOENT for the netns. */
export function absent(r: RelayResult | undefined): boolean {
  return (r?.kind === "netlink" && r.status.errno === ENODEV) || (r?.kind === "oserror" && r.errno === ENOENT);
}

// Each op runs in the device's netns (the relay's own, the host's, when netns is unset).
export function getOp(d: DeviceRef): NetlinkOp {
  return { op: "netlink", message: getLinkRequest(d.name), netns: d.netns };
}

export function changeOp(d: DeviceRef, c: LinkChange): NetlinkOp {
  return { op: "netlink", message: changeLinkRequest(d.name, c), netns: d.netns };
}

export function delOp(d: DeviceRef): NetlinkOp {
  return { op: "netlink", message: delLinkRequest(d.name), netns: d.netns };
}

/** A device as the state recorded it: its name (and netns) and the ifindex the kernel gave it. */
export interface OwnedDevice extends DeviceRef {
  /** Absent only for state written before ifindexes were recorded, or a create in doubt. */
  ifindex?: number;
}

const cstring = (s: string) => Buffer.from(`${s}\0`);

/**
 * What a read of an owned device must show before the batch acts on it: the recorded ifindex,
 * the name, and the kind (a netkit primary, or the peer of a pair). Checked in the same relay
 * run as the action, so no other change can come in between.
 */
export function ownedExpect(d: OwnedDevice, role: "primary" | "peer"): Expect {
  return {
    ...(d.ifindex !== undefined ? { index: d.ifindex } : {}),
    attrs: [
      [[IFLA.IFNAME], cstring(d.name)],
      [[IFLA.LINKINFO, IFLA_INFO.KIND], cstring("netkit")],
      [[IFLA.LINKINFO, IFLA_INFO.DATA, IFLA_NETKIT.PRIMARY], u8(IFLA_NETKIT.PRIMARY, role === "primary" ? 1 : 0).value as Buffer],
    ],
  };
}

/** What a device that took an owned device's name is, for a message: "a veth device (ifindex 12)". */
export function describeLink(l: NetkitLink | undefined): string {
  if (!l) return "no device";
  const kind = l.netkit ? `a netkit ${l.netkit.primary ? "primary" : "peer"}` : l.kind ? `a ${l.kind} device` : "a device";
  return `${kind} (ifindex ${l.ifindex})`;
}

/** What delete found. "foreign": a device has the name, but not the one recorded: left alone. */
export type DeleteOutcome = { outcome: "deleted" } | { outcome: "gone" } | { outcome: "foreign"; found: string };

export interface NetkitDevices {
  primary: NetkitLink;
  peer?: NetkitLink;
  release: string;
}

export type ReadDevices = Partial<NetkitDevices> & { release: string };

export interface CreateNetkit {
  create: NetkitCreate;
  primary: DeviceRef;
  peer?: DeviceRef;
  /** Set right after creation, before up: what creation cannot set (the alias). */
  primaryAfter?: LinkChange;
  peerAfter?: LinkChange;
  primaryUp: boolean;
  peerUp?: boolean;
  /** Checks the read-back devices: an error means the kernel did not do what was asked (the device is rolled back). */
  verify: (primary: NetkitLink, peer: NetkitLink | undefined, on: { host: string; release: string }) => NetkitError | undefined;
}

export interface ChangeNetkit {
  /** The devices as the state recorded them: nothing is changed unless both are still those. */
  primary: OwnedDevice;
  peer?: OwnedDevice;
  /**
   * Where a device is to be afterwards when it is renamed or moved to another netns (by its
   * recorded ifindex: down, rename/move, then the other changes, then up as its change says).
   */
  primaryTo?: DeviceRef;
  peerTo?: DeviceRef;
  primaryChange: LinkChange;
  peerChange?: LinkChange;
  policy?: NetkitPolicy;
  peerPolicy?: NetkitPolicy;
}
