// rtnetlink link requests and the generic part of link replies. Kind-specific data
// (IFLA_INFO_DATA) is left raw here and decoded by the kind's codec (netkit.ts).
import { bytes, decodeAttrs, encodeAttrs, nest, readNested, readStr, readU32, readU8, str, u32, type Attr, type AttrMap } from "./attributes";
import {
  AF_UNSPEC,
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA,
  IFLA_INFO,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "./constants";
import { decodeIfInfo, encodeIfInfo, encodeMessage, type NlMessage } from "./message";

/**
 * Generic settings a live device accepts (`ip link set NAME gso_max_size N … alias TEXT group N`),
 * which can also be given at creation. The kernel's rules (net/core/rtnetlink.c): GSO sizes
 * above MAX_TCP_HEADER and at most the device's tso_max_size, GSO segments at most
 * GSO_MAX_SEGS (65535) and tso_max_segs, GRO sizes at most GRO_MAX_SIZE (524280). Setting a
 * generic GSO/GRO size of at most 65536 also sets its IPv4 variant: send both to keep both.
 */
export interface LinkSettings {
  gsoMaxSize?: number;
  gsoMaxSegs?: number;
  groMaxSize?: number;
  /** Linux 6.3+. */
  gsoIpv4MaxSize?: number;
  /** Linux 6.3+. */
  groIpv4MaxSize?: number;
  /** IFLA_IFALIAS: "" removes the alias. Not applied at creation (rtnl_create_link ignores it): set it by a change. */
  alias?: string;
  /** IFLA_GROUP: 0 is "default". */
  group?: number;
}

/** The u32 settings with their attributes, in the order do_setlink applies them (the generic size before its IPv4 variant). */
const U32_SETTINGS: Array<[Exclude<keyof LinkSettings, "alias">, number]> = [
  ["group", IFLA.GROUP],
  ["gsoMaxSize", IFLA.GSO_MAX_SIZE],
  ["gsoMaxSegs", IFLA.GSO_MAX_SEGS],
  ["groMaxSize", IFLA.GRO_MAX_SIZE],
  ["gsoIpv4MaxSize", IFLA.GSO_IPV4_MAX_SIZE],
  ["groIpv4MaxSize", IFLA.GRO_IPV4_MAX_SIZE],
];

function settingsAttrs(s: LinkSettings, withAlias: boolean): Attr[] {
  const a: Attr[] = [];
  for (const [k, type] of U32_SETTINGS) if (s[k] !== undefined) a.push(u32(type, s[k]));
  // The kernel takes the alias as bytes (NLA_BINARY, no NUL); an empty one removes it.
  if (withAlias && s.alias !== undefined) a.push(bytes(IFLA.IFALIAS, Buffer.from(s.alias)));
  return a;
}

/** Generic properties of one side of a link at creation (`ip link add … [peer …]`). */
export interface LinkSide extends Omit<LinkSettings, "alias"> {
  name: string;
  mtu?: number;
  /** MAC address "aa:bb:cc:dd:ee:ff". */
  address?: string;
  numRxQueues?: number;
  numTxQueues?: number;
  /** IFLA_TXQLEN: the qdisc queue length. */
  txQueueLen?: number;
  /** An fd, open in the relay, of the netns to create the device in. */
  netnsFd?: number;
}

export interface Link {
  ifindex: number;
  name: string;
  up: boolean;
  mtu?: number;
  address?: string;
  numRxQueues?: number;
  numTxQueues?: number;
  txQueueLen?: number;
  carrier?: boolean;
  /** IFLA_LINK: for a netkit device, its peer's ifindex (in the peer's netns). */
  linkIfindex?: number;
  /** IFLA_LINK_NETNSID: the peer's netns as an nsid of this device's netns. */
  linkNetnsId?: number;
  kind?: string;
  /** IFLA_PARENT_DEV_NAME: the bus device behind a physical NIC; virtual devices have none. */
  parentDevice?: string;
  /** Raw IFLA_INFO_DATA of the kind. */
  data?: AttrMap;
  gsoMaxSize?: number;
  gsoMaxSegs?: number;
  groMaxSize?: number;
  /** Absent on kernels before 6.3. */
  gsoIpv4MaxSize?: number;
  groIpv4MaxSize?: number;
  /** Absent when the device has no alias. */
  alias?: string;
  group?: number;
}

export function macToBuffer(mac: string): Buffer {
  return Buffer.from(mac.split(":").map((h) => parseInt(h, 16)));
}

export function bufferToMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** IFLA_* attributes of a side, in the order `ip link add` sends them. */
export function sideAttrs(s: LinkSide): Attr[] {
  const a: Attr[] = [str(IFLA.IFNAME, s.name)];
  if (s.mtu !== undefined) a.push(u32(IFLA.MTU, s.mtu));
  if (s.address !== undefined) a.push(bytes(IFLA.ADDRESS, macToBuffer(s.address)));
  if (s.numTxQueues !== undefined) a.push(u32(IFLA.NUM_TX_QUEUES, s.numTxQueues));
  if (s.numRxQueues !== undefined) a.push(u32(IFLA.NUM_RX_QUEUES, s.numRxQueues));
  if (s.txQueueLen !== undefined) a.push(u32(IFLA.TXQLEN, s.txQueueLen));
  a.push(...settingsAttrs(s, false));
  if (s.netnsFd !== undefined) a.push(u32(IFLA.NET_NS_FD, s.netnsFd));
  return a;
}

/** An attribute holding a struct ifinfomsg and then IFLA_* attributes (a peer's PEER_INFO). */
export function encodeIfInfoAttr(type: number, attrs: Attr[]): Attr {
  return bytes(type, Buffer.concat([encodeIfInfo({}), encodeAttrs(attrs)]));
}

/** RTM_NEWLINK creating a device of `kind` (`ip link add NAME type KIND …`); fails if it exists. */
export function newLinkRequest(side: LinkSide, kind: string, data: Attr[]): Buffer {
  const attrs = [...sideAttrs(side), nest(IFLA.LINKINFO, [str(IFLA_INFO.KIND, kind), nest(IFLA_INFO.DATA, data)])];
  return encodeMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([encodeIfInfo({ family: AF_UNSPEC }), encodeAttrs(attrs)]));
}

/** RTM_GETLINK of one device by name (`ip -d link show NAME`). */
export function getLinkRequest(name: string): Buffer {
  return encodeMessage(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([encodeIfInfo({}), encodeAttrs([str(IFLA.IFNAME, name)])]));
}

/** RTM_GETLINK of every device in a netns (`ip -d link show`). */
export function dumpLinksRequest(): Buffer {
  return encodeMessage(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, encodeIfInfo({}));
}

/** RTM_GETLINK of one device by ifindex (`ip -d link show` of a peer found through IFLA_LINK). */
export function getLinkByIndexRequest(ifindex: number): Buffer {
  return encodeMessage(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, encodeIfInfo({ index: ifindex }));
}

/** RTM_DELLINK by ifindex: the kernel looks the device up by index alone. */
export function delLinkByIndexRequest(ifindex: number): Buffer {
  return encodeMessage(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, encodeIfInfo({ index: ifindex }));
}

/** RTM_DELLINK by name (`ip link del NAME`). */
export function delLinkRequest(name: string): Buffer {
  return encodeMessage(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([encodeIfInfo({}), encodeAttrs([str(IFLA.IFNAME, name)])]));
}

export interface LinkChange extends LinkSettings {
  up?: boolean;
  mtu?: number;
  address?: string;
  txQueueLen?: number;
  /** Kind-specific changes (`ip link set NAME type KIND …`). */
  kind?: { kind: string; data: Attr[] };
}

/** RTM_NEWLINK without NLM_F_CREATE changes an existing device found by name. */
export function changeLinkRequest(name: string, c: LinkChange): Buffer {
  const attrs: Attr[] = [str(IFLA.IFNAME, name)];
  if (c.mtu !== undefined) attrs.push(u32(IFLA.MTU, c.mtu));
  if (c.address !== undefined) attrs.push(bytes(IFLA.ADDRESS, macToBuffer(c.address)));
  if (c.txQueueLen !== undefined) attrs.push(u32(IFLA.TXQLEN, c.txQueueLen));
  attrs.push(...settingsAttrs(c, true));
  if (c.kind) attrs.push(nest(IFLA.LINKINFO, [str(IFLA_INFO.KIND, c.kind.kind), nest(IFLA_INFO.DATA, c.kind.data)]));
  const info = c.up === undefined ? {} : { flags: c.up ? IFF_UP : 0, change: IFF_UP };
  return encodeMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([encodeIfInfo(info), encodeAttrs(attrs)]));
}

/**
 * RTM_NEWLINK on the device with `ifindex` in the socket's netns: renames it to `name`
 * (`ip link set dev OLD name NEW`) and, given `netnsFd` (an fd the relay opened), moves it to
 * that netns under that name (`ip link set dev X netns NS name NEW`). The device keeps its
 * ifindex unless the target netns has a device with it already (then the kernel gives it a
 * new one: read it back); a move leaves it down.
 */
export function moveLinkRequest(ifindex: number, m: { name: string; netnsFd?: number }): Buffer {
  const attrs: Attr[] = [str(IFLA.IFNAME, m.name)];
  if (m.netnsFd !== undefined) attrs.push(u32(IFLA.NET_NS_FD, m.netnsFd));
  return encodeMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([encodeIfInfo({ index: ifindex }), encodeAttrs(attrs)]));
}

export function isLinkMessage(m: NlMessage): boolean {
  return m.type === RTM_NEWLINK;
}

export function parseLink(m: NlMessage): Link {
  const info = decodeIfInfo(m.payload);
  const a = decodeAttrs(m.payload.subarray(IFINFOMSG_LEN));
  const link: Link = { ifindex: info.index, name: readStr(a, IFLA.IFNAME) ?? "", up: (info.flags & IFF_UP) !== 0 };
  const set = <K extends keyof Link>(k: K, v: Link[K] | undefined) => {
    if (v !== undefined) link[k] = v;
  };
  set("mtu", readU32(a, IFLA.MTU));
  const addr = a.get(IFLA.ADDRESS);
  if (addr && addr.length === 6) link.address = bufferToMac(addr);
  set("numRxQueues", readU32(a, IFLA.NUM_RX_QUEUES));
  set("numTxQueues", readU32(a, IFLA.NUM_TX_QUEUES));
  set("txQueueLen", readU32(a, IFLA.TXQLEN));
  const carrier = readU8(a, IFLA.CARRIER);
  if (carrier !== undefined) link.carrier = carrier === 1;
  set("linkIfindex", readU32(a, IFLA.LINK));
  const nsid = a.get(IFLA.LINK_NETNSID);
  if (nsid) link.linkNetnsId = nsid.readInt32LE(0);
  set("parentDevice", readStr(a, IFLA.PARENT_DEV_NAME));
  set("gsoMaxSize", readU32(a, IFLA.GSO_MAX_SIZE));
  set("gsoMaxSegs", readU32(a, IFLA.GSO_MAX_SEGS));
  set("groMaxSize", readU32(a, IFLA.GRO_MAX_SIZE));
  set("gsoIpv4MaxSize", readU32(a, IFLA.GSO_IPV4_MAX_SIZE));
  set("groIpv4MaxSize", readU32(a, IFLA.GRO_IPV4_MAX_SIZE));
  set("alias", readStr(a, IFLA.IFALIAS));
  set("group", readU32(a, IFLA.GROUP));
  const li = readNested(a, IFLA.LINKINFO);
  if (li) {
    set("kind", readStr(li, IFLA_INFO.KIND));
    set("data", readNested(li, IFLA_INFO.DATA));
  }
  return link;
}
