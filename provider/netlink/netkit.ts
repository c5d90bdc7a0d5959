// The netkit link kind: its enums with the kernel's values, one encoder for creation, one
// for changes, one decoder for dumps (drivers/net/netkit.c, include/uapi/linux/if_link.h).
import { readU16, readU32, readU8, u16, u32, type Attr, type AttrMap } from "./attributes";
import { IFLA_NETKIT } from "./constants";
import { changeLinkRequest, encodeIfInfoAttr, newLinkRequest, sideAttrs, type LinkSide } from "./link";

export const KIND = "netkit";

/** Kernel values (enum netkit_mode / netkit_action / netkit_scrub / netkit_pairing). */
export const MODE = { l2: 0, l3: 1 } as const;
export const POLICY = { forward: 0, blackhole: 2 } as const;
export const SCRUB = { none: 0, default: 1 } as const;
export const PAIRING = { pair: 0, single: 1 } as const;

export type NetkitMode = keyof typeof MODE;
export type NetkitPolicy = keyof typeof POLICY;
export type NetkitScrub = keyof typeof SCRUB;
export type NetkitPairing = keyof typeof PAIRING;

function nameOf<T extends Record<string, number>>(table: T, value: number | undefined): keyof T | undefined {
  if (value === undefined) return undefined;
  const hit = Object.entries(table).find(([, v]) => v === value);
  if (!hit) throw new Error(`unknown netkit value ${value} (known: ${Object.keys(table).join(", ")})`);
  return hit[0];
}

export interface NetkitCreate {
  primary: LinkSide;
  /** Pair mode only. */
  peer?: LinkSide;
  mode: NetkitMode;
  pairing: NetkitPairing;
  policy?: NetkitPolicy;
  peerPolicy?: NetkitPolicy;
  scrub?: NetkitScrub;
  peerScrub?: NetkitScrub;
  headroom?: number;
  tailroom?: number;
}

/**
 * RTM_NEWLINK for a netkit device (`ip link add NAME type netkit mode l2 … peer name P netns N`).
 * Attributes the kernel refuses for the configuration are never sent: single mode gets no
 * peer info, peer policy/scrub, or scrub (7.2 refuses even the default), and older kernels
 * that lack single mode never see IFLA_NETKIT_PAIRING for a pair.
 */
export function netkitNewLinkRequest(c: NetkitCreate): Buffer {
  if (c.mode === "l3" && (c.primary.macAddress || c.peer?.macAddress)) throw new Error("netkit: a MAC address needs mode l2");
  const single = c.pairing === "single";
  if (single && (c.peer || c.peerPolicy || c.peerScrub || c.scrub)) throw new Error("netkit: single mode has no peer and no scrub");
  const data: Attr[] = [u32(IFLA_NETKIT.MODE, MODE[c.mode])];
  if (single) data.push(u32(IFLA_NETKIT.PAIRING, PAIRING.single));
  if (c.policy) data.push(u32(IFLA_NETKIT.POLICY, POLICY[c.policy]));
  if (c.peerPolicy) data.push(u32(IFLA_NETKIT.PEER_POLICY, POLICY[c.peerPolicy]));
  if (c.scrub) data.push(u32(IFLA_NETKIT.SCRUB, SCRUB[c.scrub]));
  if (c.peerScrub) data.push(u32(IFLA_NETKIT.PEER_SCRUB, SCRUB[c.peerScrub]));
  if (c.headroom !== undefined) data.push(u16(IFLA_NETKIT.HEADROOM, c.headroom));
  if (c.tailroom !== undefined) data.push(u16(IFLA_NETKIT.TAILROOM, c.tailroom));
  // PEER_INFO is a struct ifinfomsg followed by the peer's IFLA_* attributes.
  if (c.peer) data.push(encodeIfInfoAttr(IFLA_NETKIT.PEER_INFO, sideAttrs(c.peer)));
  return newLinkRequest(c.primary, KIND, data);
}

/** Policies are the only netkit settings a live device accepts, and only via the primary. */
export function netkitPolicyChangeRequest(primaryName: string, c: { policy?: NetkitPolicy; peerPolicy?: NetkitPolicy }): Buffer {
  const data: Attr[] = [];
  if (c.policy) data.push(u32(IFLA_NETKIT.POLICY, POLICY[c.policy]));
  if (c.peerPolicy) data.push(u32(IFLA_NETKIT.PEER_POLICY, POLICY[c.peerPolicy]));
  return changeLinkRequest(primaryName, { kind: { kind: KIND, data } });
}

export interface NetkitInfo {
  primary: boolean;
  mode: NetkitMode;
  policy: NetkitPolicy;
  /** Absent for single devices; "default" on kernels before scrub settings (see decode). */
  scrub?: NetkitScrub;
  /** Of the other side; absent for single devices. */
  peerPolicy?: NetkitPolicy;
  peerScrub?: NetkitScrub;
  headroom: number;
  tailroom: number;
  /** Absent on kernels without single mode (before 7.1). */
  pairing?: NetkitPairing;
}

export function decodeNetkitInfo(d: AttrMap): NetkitInfo {
  const info: NetkitInfo = {
    primary: readU8(d, IFLA_NETKIT.PRIMARY) === 1,
    mode: nameOf(MODE, readU32(d, IFLA_NETKIT.MODE)) ?? "l3",
    policy: nameOf(POLICY, readU32(d, IFLA_NETKIT.POLICY)) ?? "forward",
    headroom: readU16(d, IFLA_NETKIT.HEADROOM) ?? 0,
    tailroom: readU16(d, IFLA_NETKIT.TAILROOM) ?? 0,
  };
  const opt = <K extends keyof NetkitInfo>(k: K, v: NetkitInfo[K] | undefined) => {
    if (v !== undefined) info[k] = v;
  };
  opt("pairing", nameOf(PAIRING, readU32(d, IFLA_NETKIT.PAIRING)));
  opt("peerPolicy", nameOf(POLICY, readU32(d, IFLA_NETKIT.PEER_POLICY)));
  // Kernels before scrub settings (6.10) report no SCRUB/PEER_SCRUB: both sides of a pair
  // scrub there as "default" does. Single devices have no scrub setting at all.
  const pair = info.pairing !== "single";
  opt("scrub", nameOf(SCRUB, readU32(d, IFLA_NETKIT.SCRUB)) ?? (pair ? "default" : undefined));
  opt("peerScrub", nameOf(SCRUB, readU32(d, IFLA_NETKIT.PEER_SCRUB)) ?? (pair && info.peerPolicy !== undefined ? "default" : undefined));
  return info;
}
