// The ethtool generic netlink family (include/uapi/linux/ethtool_netlink_generated.h): the
// NIC-wide settings a zero-copy queue depends on — channels (`ethtool -l/-L`), rings with
// header/data split (`ethtool -g/-G`) and the RSS indirection table (`ethtool -x/-X`). Every
// request names its device in a nested header; a GET is a `do` answered by one message, a
// SET by an ACK. Attribute numbers follow the kernel's enums; the family's id is assigned at
// boot (CTRL_CMD_GETFAMILY "ethtool").
import { bytes, nest, readNested, readStr, readU32, readU8, str, u32, u8, type Attr, type AttrMap } from "./attributes";
import { NLM_F_ACK, NLM_F_REQUEST } from "./constants";
import { decodeGenl, encodeGenl } from "./genl";
import type { NlMessage } from "./message";

export const ETHTOOL_FAMILY_NAME = "ethtool";
export const ETHTOOL_FAMILY_VERSION = 1;

/** ETHTOOL_MSG_* requests (user → kernel). */
export const ETHTOOL_MSG = {
  RINGS_GET: 15,
  RINGS_SET: 16,
  CHANNELS_GET: 17,
  CHANNELS_SET: 18,
  RSS_GET: 38,
  RSS_SET: 48,
} as const;

export const ETHTOOL_A_HEADER = { DEV_INDEX: 1, DEV_NAME: 2, FLAGS: 3 } as const;

export const ETHTOOL_A_CHANNELS = {
  HEADER: 1,
  RX_MAX: 2,
  TX_MAX: 3,
  OTHER_MAX: 4,
  COMBINED_MAX: 5,
  RX_COUNT: 6,
  TX_COUNT: 7,
  OTHER_COUNT: 8,
  COMBINED_COUNT: 9,
} as const;

export const ETHTOOL_A_RINGS = {
  HEADER: 1,
  RX_MAX: 2,
  RX_MINI_MAX: 3,
  RX_JUMBO_MAX: 4,
  TX_MAX: 5,
  RX: 6,
  RX_MINI: 7,
  RX_JUMBO: 8,
  TX: 9,
  RX_BUF_LEN: 10,
  TCP_DATA_SPLIT: 11,
  CQE_SIZE: 12,
  TX_PUSH: 13,
  RX_PUSH: 14,
  TX_PUSH_BUF_LEN: 15,
  TX_PUSH_BUF_LEN_MAX: 16,
  HDS_THRESH: 17,
  HDS_THRESH_MAX: 18,
} as const;

export const ETHTOOL_A_RSS = { HEADER: 1, CONTEXT: 2, HFUNC: 3, INDIR: 4, HKEY: 5, INPUT_XFRM: 6, START_CONTEXT: 7, FLOW_HASH: 8 } as const;

/** ETHTOOL_TCP_DATA_SPLIT_*: "unknown" is the kernel's default configuration (the driver decides). */
export const TCP_DATA_SPLIT = { unknown: 0, disabled: 1, enabled: 2 } as const;
export type TcpDataSplit = keyof typeof TCP_DATA_SPLIT;

/** How a request names its device: by name in the socket's netns, and by ifindex too once known (the kernel checks both match). */
export interface EthtoolDevice {
  name: string;
  ifindex?: number;
}

function header(type: number, d: EthtoolDevice): Attr {
  const h: Attr[] = [str(ETHTOOL_A_HEADER.DEV_NAME, d.name)];
  if (d.ifindex !== undefined) h.unshift(u32(ETHTOOL_A_HEADER.DEV_INDEX, d.ifindex));
  return nest(type, h);
}

function request(familyId: number, cmd: number, attrs: Attr[]): Buffer {
  return encodeGenl(familyId, NLM_F_REQUEST | NLM_F_ACK, { cmd, version: ETHTOOL_FAMILY_VERSION }, attrs);
}

/** The device a reply is about, from its header. */
export function replyDevice(attrs: AttrMap, headerType: number): { ifindex?: number; name?: string } {
  const h = readNested(attrs, headerType);
  const out: { ifindex?: number; name?: string } = {};
  const i = h ? readU32(h, ETHTOOL_A_HEADER.DEV_INDEX) : undefined;
  const n = h ? readStr(h, ETHTOOL_A_HEADER.DEV_NAME) : undefined;
  if (i !== undefined) out.ifindex = i;
  if (n !== undefined) out.name = n;
  return out;
}

// --- channels (`ethtool -l` / `-L`) ------------------------------------------------------

/** A count and its maximum; absent when the driver reports no such channels (max 0). */
export interface ChannelCount {
  count: number;
  max: number;
}

export interface Channels {
  rx?: ChannelCount;
  tx?: ChannelCount;
  other?: ChannelCount;
  combined?: ChannelCount;
}

export function channelsGetRequest(familyId: number, d: EthtoolDevice): Buffer {
  return request(familyId, ETHTOOL_MSG.CHANNELS_GET, [header(ETHTOOL_A_CHANNELS.HEADER, d)]);
}

export function parseChannels(m: NlMessage): Channels {
  const a = decodeGenl(m).attrs;
  const pair = (count: number, max: number): ChannelCount | undefined => {
    const c = readU32(a, count);
    const x = readU32(a, max);
    return c !== undefined && x !== undefined ? { count: c, max: x } : undefined;
  };
  const out: Channels = {};
  const rx = pair(ETHTOOL_A_CHANNELS.RX_COUNT, ETHTOOL_A_CHANNELS.RX_MAX);
  const tx = pair(ETHTOOL_A_CHANNELS.TX_COUNT, ETHTOOL_A_CHANNELS.TX_MAX);
  const other = pair(ETHTOOL_A_CHANNELS.OTHER_COUNT, ETHTOOL_A_CHANNELS.OTHER_MAX);
  const combined = pair(ETHTOOL_A_CHANNELS.COMBINED_COUNT, ETHTOOL_A_CHANNELS.COMBINED_MAX);
  if (rx) out.rx = rx;
  if (tx) out.tx = tx;
  if (other) out.other = other;
  if (combined) out.combined = combined;
  return out;
}

/** The RX queues channels give: combined + rx-only (the kernel's own count, ethtool_get_rx_ring_count aside). */
export function rxQueueCount(c: Channels): number {
  return (c.combined?.count ?? 0) + (c.rx?.count ?? 0);
}

export interface ChannelsSet {
  combined?: number;
  rx?: number;
  tx?: number;
}

export function channelsSetRequest(familyId: number, d: EthtoolDevice, s: ChannelsSet): Buffer {
  const attrs: Attr[] = [header(ETHTOOL_A_CHANNELS.HEADER, d)];
  if (s.rx !== undefined) attrs.push(u32(ETHTOOL_A_CHANNELS.RX_COUNT, s.rx));
  if (s.tx !== undefined) attrs.push(u32(ETHTOOL_A_CHANNELS.TX_COUNT, s.tx));
  if (s.combined !== undefined) attrs.push(u32(ETHTOOL_A_CHANNELS.COMBINED_COUNT, s.combined));
  return request(familyId, ETHTOOL_MSG.CHANNELS_SET, attrs);
}

// --- rings (`ethtool -g` / `-G`) ---------------------------------------------------------

export interface Rings {
  rx?: number;
  rxMax?: number;
  tx?: number;
  txMax?: number;
  /** As the driver reports it; absent: "unknown" (the attribute is sent only when set). */
  tcpDataSplit?: TcpDataSplit;
  /** Present only where the driver supports header-split thresholds (with its maximum). */
  hdsThresh?: number;
  hdsThreshMax?: number;
}

export function ringsGetRequest(familyId: number, d: EthtoolDevice): Buffer {
  return request(familyId, ETHTOOL_MSG.RINGS_GET, [header(ETHTOOL_A_RINGS.HEADER, d)]);
}

const splitName = (v: number | undefined): TcpDataSplit | undefined => (Object.entries(TCP_DATA_SPLIT).find(([, n]) => n === v)?.[0] as TcpDataSplit | undefined) ?? undefined;

export function parseRings(m: NlMessage): Rings {
  const a = decodeGenl(m).attrs;
  const out: Rings = {};
  const set = <K extends keyof Rings>(k: K, v: Rings[K] | undefined) => v !== undefined && (out[k] = v);
  set("rx", readU32(a, ETHTOOL_A_RINGS.RX));
  set("rxMax", readU32(a, ETHTOOL_A_RINGS.RX_MAX));
  set("tx", readU32(a, ETHTOOL_A_RINGS.TX));
  set("txMax", readU32(a, ETHTOOL_A_RINGS.TX_MAX));
  set("tcpDataSplit", splitName(readU8(a, ETHTOOL_A_RINGS.TCP_DATA_SPLIT)));
  set("hdsThresh", readU32(a, ETHTOOL_A_RINGS.HDS_THRESH));
  set("hdsThreshMax", readU32(a, ETHTOOL_A_RINGS.HDS_THRESH_MAX));
  return out;
}

export interface RingsSet {
  rx?: number;
  tcpDataSplit?: TcpDataSplit;
  hdsThresh?: number;
}

function ringsAttrs(d: EthtoolDevice, s: RingsSet): Attr[] {
  const attrs: Attr[] = [header(ETHTOOL_A_RINGS.HEADER, d)];
  if (s.rx !== undefined) attrs.push(u32(ETHTOOL_A_RINGS.RX, s.rx));
  if (s.tcpDataSplit !== undefined) attrs.push(u8(ETHTOOL_A_RINGS.TCP_DATA_SPLIT, TCP_DATA_SPLIT[s.tcpDataSplit]));
  if (s.hdsThresh !== undefined) attrs.push(u32(ETHTOOL_A_RINGS.HDS_THRESH, s.hdsThresh));
  return attrs;
}

export function ringsSetRequest(familyId: number, d: EthtoolDevice, s: RingsSet): Buffer {
  return request(familyId, ETHTOOL_MSG.RINGS_SET, ringsAttrs(d, s));
}

/**
 * A RINGS_SET that every kernel refuses before it changes anything: the settings asked for
 * plus an RX ring size beyond any maximum (0xffffffff). The kernel checks the driver's support
 * for header split and its threshold first (EOPNOTSUPP, "setting TCP data split is not
 * supported"), then what the NIC's state forbids (a single-buffer XDP program, a memory
 * provider), and only then the ring sizes ("requested ring size exceeds maximum", EINVAL),
 * before it calls the driver (net/ethtool/rings.c). So the refusal says whether the settings
 * would be taken: what a preview may ask.
 */
export function ringsSetProbeRequest(familyId: number, d: EthtoolDevice, s: Omit<RingsSet, "rx">): Buffer {
  return request(familyId, ETHTOOL_MSG.RINGS_SET, ringsAttrs(d, { ...s, rx: 0xffffffff }));
}

/** The extack of a ringsSetProbeRequest that found nothing else to refuse. */
export const RINGS_PROBE_PASSED = "requested ring size exceeds maximum";

// --- RSS (`ethtool -x` / `-X`) -----------------------------------------------------------

export interface Rss {
  /** The indirection table: hash bucket → RX queue. Empty: the device has no table. */
  indir: number[];
  hfunc?: number;
}

export function rssGetRequest(familyId: number, d: EthtoolDevice): Buffer {
  return request(familyId, ETHTOOL_MSG.RSS_GET, [header(ETHTOOL_A_RSS.HEADER, d)]);
}

export function parseRss(m: NlMessage): Rss {
  const a = decodeGenl(m).attrs;
  const raw = a.get(ETHTOOL_A_RSS.INDIR);
  const indir: number[] = [];
  if (raw) for (let off = 0; off + 4 <= raw.length; off += 4) indir.push(raw.readUInt32LE(off));
  const out: Rss = { indir };
  const h = readU32(a, ETHTOOL_A_RSS.HFUNC);
  if (h !== undefined) out.hfunc = h;
  return out;
}

/** RSS_SET of the default context's table; an empty table asks for the driver's default spread (`ethtool -X … default`). */
export function rssSetRequest(familyId: number, d: EthtoolDevice, indir: number[]): Buffer {
  const table = Buffer.alloc(indir.length * 4);
  indir.forEach((q, i) => table.writeUInt32LE(q, i * 4));
  return request(familyId, ETHTOOL_MSG.RSS_SET, [header(ETHTOOL_A_RSS.HEADER, d), bytes(ETHTOOL_A_RSS.INDIR, table)]);
}

/** The kernel's default spread over `rxQueues` queues (ethtool_rxfh_indir_default): bucket i → i mod n. */
export function defaultIndir(size: number, rxQueues: number): number[] {
  return Array.from({ length: size }, (_, i) => i % rxQueues);
}

/** `ethtool -X … equal N`: the table spreads over queues 0 … N-1. */
export function equalIndir(size: number, n: number): number[] {
  return defaultIndir(size, n);
}

/**
 * `ethtool -X … weight W0 W1 …`: queue i gets a share of the buckets proportional to Wi, in
 * queue order, exactly as ethtool's own fill_indir_table computes it (integer arithmetic).
 * The weights must sum to 1 … size.
 */
export function weightedIndir(size: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  let j = -1;
  let partial = 0;
  for (let i = 0; i < size; i++) {
    while (i >= Math.floor((size * partial) / sum)) {
      j += 1;
      partial += weights[j]!;
    }
    out.push(j);
  }
  return out;
}

/** How many buckets of a table each queue gets (index: queue), up to its highest queue. */
export function indirShares(indir: number[]): number[] {
  const top = indir.reduce((a, b) => Math.max(a, b), -1);
  const out = new Array<number>(top + 1).fill(0);
  for (const q of indir) out[q]! += 1;
  return out;
}
