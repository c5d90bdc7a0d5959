// Flow steering rules (ethtool's "ntuple" rules, `ethtool -N … flow-type tcp6 dst-port P
// action Q`): not in ethtool netlink as of Linux 7.2, but in the SIOCETHTOOL ioctl with a
// struct ethtool_rxnfc (include/uapi/linux/ethtool.h). This module builds and reads those
// structs as bytes; the relay makes the ioctl (struct ifreq naming the device, its ifr_data
// pointing at the struct) and hands the struct back as the kernel left it. Offsets are the
// x86-64 / LP64 layout, checked against the 7.2 headers (test/unit/netlink/flow-rules.test.ts).
import { isIPv4, isIPv6 } from "node:net";

export const SIOCETHTOOL = 0x8946;
/** struct ifreq: ifr_name[16], then the union whose ifr_data pointer the relay fills in. */
export const IFREQ_LEN = 40;
export const IFREQ_DATA_OFFSET = 16;

export const ETHTOOL_RXNFC_CMD = {
  /** Rule count, table size, and whether the driver picks locations itself (RX_CLS_LOC_SPECIAL). */
  GRXCLSRLCNT: 0x2e,
  GRXCLSRULE: 0x2f,
  GRXCLSRLALL: 0x30,
  SRXCLSRLDEL: 0x31,
  SRXCLSRLINS: 0x32,
} as const;

/** struct ethtool_rxnfc: cmd, flow_type, data (u64), fs (struct ethtool_rx_flow_spec), rule_cnt, rule_locs[]. */
const RXNFC = { cmd: 0, flowType: 4, data: 8, fs: 16, ruleCnt: 184, ruleLocs: 188, size: 192 } as const;
/** struct ethtool_rx_flow_spec, within the rxnfc at RXNFC.fs. */
const FS = { flowType: 0, hU: 4, hExt: 56, mU: 76, mExt: 128, ringCookie: 152, location: 160, size: 168 } as const;
/** ethtool_tcpip4_spec / ethtool_tcpip6_spec in the h_u and m_u unions. */
const IP4 = { src: 0, dst: 4, psrc: 8, pdst: 10 } as const;
const IP6 = { src: 0, dst: 16, psrc: 32, pdst: 34 } as const;

export const FLOW_TYPES = { tcp4: 0x01, udp4: 0x02, sctp4: 0x03, tcp6: 0x05, udp6: 0x06, sctp6: 0x07 } as const;
export type FlowType = keyof typeof FLOW_TYPES;
const FLOW_EXT = 0x80000000;
const FLOW_MAC_EXT = 0x40000000;
const FLOW_RSS = 0x20000000;
/** The driver chooses the location (RX_CLS_LOC_ANY); RX_CLS_LOC_SPECIAL in GRXCLSRLCNT's data says it can. */
export const RX_CLS_LOC_ANY = 0xffffffff;
export const RX_CLS_LOC_SPECIAL = 0x80000000;
/** ring_cookie of a rule that drops (RX_CLS_FLOW_DISC). */
const RX_CLS_FLOW_DISC = 0xffffffffffffffffn;

/** A rule as the provider declares it: the flow, and the RX queue it goes to. */
export interface FlowMatch {
  flowType: FlowType;
  srcIp?: string;
  dstIp?: string;
  srcPort?: number;
  dstPort?: number;
}
export interface FlowRule extends FlowMatch {
  queue: number;
}
/** A rule as the kernel reports it at a location; `queue` undefined: it drops or goes elsewhere (a VF, an RSS context). */
export interface InstalledRule extends FlowMatch {
  location: number;
  queue?: number;
  /** What the provider cannot express (another flow type, a MAC/VLAN extension, a VF, an RSS context, a partial mask). */
  other?: string;
}

const is6 = (t: FlowType) => t.endsWith("6");

/** An IPv4 or IPv6 address as network-order bytes. */
export function ipBytes(ip: string, v6: boolean): Buffer {
  if (!v6) {
    if (!isIPv4(ip)) throw new Error(`${ip} is not an IPv4 address`);
    return Buffer.from(ip.split(".").map(Number));
  }
  if (!isIPv6(ip)) throw new Error(`${ip} is not an IPv6 address`);
  let s = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = ipBytes(v4[1]!, false);
    s = s.slice(0, -v4[1]!.length) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Network-order bytes as the address's usual text (IPv6 with the longest zero run as "::"). */
export function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join(".");
  const g = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

function rxnfc(cmd: number): Buffer {
  const b = Buffer.alloc(RXNFC.size);
  b.writeUInt32LE(cmd, RXNFC.cmd);
  return b;
}

/** struct ifreq naming the device; the relay points ifr_data at the rxnfc buffer. */
export function ifreq(dev: string): Buffer {
  const b = Buffer.alloc(IFREQ_LEN);
  b.write(dev, 0, 15, "utf8");
  return b;
}

export function ruleCountRequest(): Buffer {
  return rxnfc(ETHTOOL_RXNFC_CMD.GRXCLSRLCNT);
}

/** GRXCLSRLCNT's answer: the rules there are, the table's size, and whether the driver picks locations. */
export function parseRuleCount(b: Buffer): { count: number; tableSize: number; driverPicksLocation: boolean } {
  const data = Number(b.readBigUInt64LE(RXNFC.data) & 0xffffffffn);
  return { count: b.readUInt32LE(RXNFC.ruleCnt), tableSize: data & ~RX_CLS_LOC_SPECIAL, driverPicksLocation: (data & RX_CLS_LOC_SPECIAL) !== 0 };
}

/** GRXCLSRLALL for `count` rules: the struct followed by room for their locations. */
export function ruleLocationsRequest(count: number): Buffer {
  const b = Buffer.concat([rxnfc(ETHTOOL_RXNFC_CMD.GRXCLSRLALL), Buffer.alloc(count * 4)]);
  b.writeUInt32LE(count, RXNFC.ruleCnt);
  return b;
}

export function parseRuleLocations(b: Buffer): number[] {
  const n = b.readUInt32LE(RXNFC.ruleCnt);
  return Array.from({ length: n }, (_, i) => b.readUInt32LE(RXNFC.ruleLocs + i * 4));
}

export function ruleGetRequest(location: number): Buffer {
  const b = rxnfc(ETHTOOL_RXNFC_CMD.GRXCLSRULE);
  b.writeUInt32LE(location, RXNFC.fs + FS.location);
  return b;
}

export function ruleDeleteRequest(location: number): Buffer {
  const b = rxnfc(ETHTOOL_RXNFC_CMD.SRXCLSRLDEL);
  b.writeUInt32LE(location, RXNFC.fs + FS.location);
  return b;
}

/** SRXCLSRLINS of `r` at `location` (RX_CLS_LOC_ANY: the driver picks, and writes it back into fs.location). */
export function ruleInsertRequest(r: FlowRule, location: number): Buffer {
  const b = rxnfc(ETHTOOL_RXNFC_CMD.SRXCLSRLINS);
  const fs = RXNFC.fs;
  const v6 = is6(r.flowType);
  const o = v6 ? IP6 : IP4;
  b.writeUInt32LE(FLOW_TYPES[r.flowType], fs + FS.flowType);
  const put = (value: Buffer, at: number) => {
    value.copy(b, fs + FS.hU + at);
    Buffer.alloc(value.length, 0xff).copy(b, fs + FS.mU + at);
  };
  if (r.srcIp !== undefined) put(ipBytes(r.srcIp, v6), o.src);
  if (r.dstIp !== undefined) put(ipBytes(r.dstIp, v6), o.dst);
  const port = (p: number) => {
    const x = Buffer.alloc(2);
    x.writeUInt16BE(p);
    return x;
  };
  if (r.srcPort !== undefined) put(port(r.srcPort), o.psrc);
  if (r.dstPort !== undefined) put(port(r.dstPort), o.pdst);
  b.writeBigUInt64LE(BigInt(r.queue), fs + FS.ringCookie);
  b.writeUInt32LE(location, fs + FS.location);
  return b;
}

/** The location an insert ended at (the driver's choice for RX_CLS_LOC_ANY). */
export function insertedLocation(b: Buffer): number {
  return b.readUInt32LE(RXNFC.fs + FS.location);
}

/** A rule as GRXCLSRULE reports it. */
export function parseRule(b: Buffer): InstalledRule {
  const fs = RXNFC.fs;
  const rawType = b.readUInt32LE(fs + FS.flowType);
  const location = b.readUInt32LE(fs + FS.location);
  const base = rawType & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);
  const flowType = (Object.entries(FLOW_TYPES).find(([, v]) => v === base)?.[0] as FlowType | undefined) ?? undefined;
  const other: string[] = [];
  if (rawType & (FLOW_EXT | FLOW_MAC_EXT)) other.push("a MAC/VLAN extension");
  if (rawType & FLOW_RSS) other.push("an RSS context");
  if (!flowType) return { flowType: "tcp4", location, other: `flow type ${base}` };
  const v6 = is6(flowType);
  const o = v6 ? IP6 : IP4;
  const len = v6 ? 16 : 4;
  const r: InstalledRule = { flowType, location };
  const field = (at: number, n: number) => {
    const mask = b.subarray(fs + FS.mU + at, fs + FS.mU + at + n);
    if (mask.every((x) => x === 0)) return undefined;
    if (!mask.every((x) => x === 0xff)) other.push("a partial mask");
    return b.subarray(fs + FS.hU + at, fs + FS.hU + at + n);
  };
  const src = field(o.src, len);
  const dst = field(o.dst, len);
  const psrc = field(o.psrc, 2);
  const pdst = field(o.pdst, 2);
  if (src) r.srcIp = ipText(src);
  if (dst) r.dstIp = ipText(dst);
  if (psrc) r.srcPort = psrc.readUInt16BE(0);
  if (pdst) r.dstPort = pdst.readUInt16BE(0);
  const cookie = b.readBigUInt64LE(fs + FS.ringCookie);
  if (cookie === RX_CLS_FLOW_DISC) other.push("a drop action");
  else if (cookie >> 32n) other.push("a VF action");
  else r.queue = Number(cookie);
  if (other.length) r.other = other.join(", ");
  return r;
}
