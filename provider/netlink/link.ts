// rtnetlink link requests and the generic part of link replies. Kind-specific data
// (IFLA_INFO_DATA) is left raw here and decoded by the kind's codec (netkit.ts).
import { bytes, decodeAttrs, encodeAttrs, nest, readNested, readStr, readU32, readU8, str, u32, type Attr, type AttrMap } from "./attributes";
import {
  AF_INET,
  AF_UNSPEC,
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA,
  IFLA_INET,
  IFLA_INFO,
  IPV4_DEVCONF,
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
 * When the kernel takes an attribute: "create" only at creation (`ip link add`; a change
 * needs a new device), "live" at creation and on a live device (`ip link set`), "after" only
 * on a live device, so right after creation (at creation the kernel ignores it or refuses it).
 */
export type Applies = "create" | "live" | "after";

/** One generic link attribute: its encoder and decoder, side by side, and when the kernel takes it. */
interface LinkAttribute<T> {
  encode(v: T): Attr;
  /** undefined: the reply does not carry it. */
  decode(a: AttrMap): T | undefined;
  applies: Applies;
  /** What a reply without the attribute means (no IFLA_IFALIAS: the alias is ""). */
  absent?: T;
  /** The attribute the kernel overwrites as a side effect of this one: sent again with it. */
  resend?: string;
}

const u32Attribute = <P extends Applies>(type: number, applies: P) => ({ encode: (v: number) => u32(type, v), decode: (a: AttrMap) => readU32(a, type), applies });

/** IPV4_DEVCONF_* setting `id` of the device: set as a nested attribute, read from the u32 array the kernel reports. */
const ipv4Conf = (id: number) => ({
  encode: (v: number) => nest(IFLA.AF_SPEC, [nest(AF_INET, [nest(IFLA_INET.CONF, [u32(id, v)])])]),
  decode: (a: AttrMap) => {
    const conf = readNested(a, IFLA.AF_SPEC)?.get(AF_INET);
    const values = conf ? decodeAttrs(conf).get(IFLA_INET.CONF) : undefined;
    return values && values.length >= 4 * id ? values.readUInt32LE(4 * (id - 1)) : undefined;
  },
  applies: "after" as const,
});

/**
 * The generic attributes of a device side that the provider sets and reads, one row each, in
 * the order requests carry them (`ip link add`'s order). Named as the resources' inputs name
 * them (a pair's peer prefixes "peer"); mapped to those inputs in one place
 * (provider/resources/link-attributes.ts). The kernel's rules (net/core/rtnetlink.c): GSO
 * sizes above MAX_TCP_HEADER and at most the device's tso_max_size, GSO segments at most
 * GSO_MAX_SEGS (65535) and tso_max_segs, GRO sizes at most GRO_MAX_SIZE (524280); setting a
 * generic GSO/GRO size of at most 65536 also sets its IPv4 variant.
 */
export const LINK_ATTRIBUTES = {
  mtu: u32Attribute(IFLA.MTU, "live"),
  /** MAC address "aa:bb:cc:dd:ee:ff"; l3 devices report all zeros. */
  macAddress: {
    encode: (v: string) => bytes(IFLA.ADDRESS, macToBuffer(v)),
    decode: (a: AttrMap) => {
      const b = a.get(IFLA.ADDRESS);
      return b?.length === 6 ? bufferToMac(b) : undefined;
    },
    applies: "live",
  },
  numTxQueues: u32Attribute(IFLA.NUM_TX_QUEUES, "create"),
  numRxQueues: u32Attribute(IFLA.NUM_RX_QUEUES, "create"),
  /** IFLA_TXQLEN: the qdisc queue length. */
  txQueueLen: u32Attribute(IFLA.TXQLEN, "live"),
  /** IFLA_GROUP: 0 is "default". */
  group: u32Attribute(IFLA.GROUP, "live"),
  gsoMaxSize: { ...u32Attribute(IFLA.GSO_MAX_SIZE, "live"), resend: "gsoIpv4MaxSize" },
  gsoMaxSegs: u32Attribute(IFLA.GSO_MAX_SEGS, "live"),
  groMaxSize: { ...u32Attribute(IFLA.GRO_MAX_SIZE, "live"), resend: "groIpv4MaxSize" },
  /** Linux 6.3+; absent before. */
  gsoIpv4MaxSize: u32Attribute(IFLA.GSO_IPV4_MAX_SIZE, "live"),
  groIpv4MaxSize: u32Attribute(IFLA.GRO_IPV4_MAX_SIZE, "live"),
  /** IFLA_IFALIAS, bytes without a NUL; "" removes it. rtnl_create_link ignores it: set after. */
  alias: { encode: (v: string) => bytes(IFLA.IFALIAS, Buffer.from(v)), decode: (a: AttrMap) => readStr(a, IFLA.IFALIAS), applies: "after", absent: "" },
  /**
   * net.ipv4.conf.DEV.rp_filter, through IFLA_AF_SPEC: 0 off, 1 strict, 2 loose. A device has
   * no IPv4 settings until it is registered (the kernel refuses them at creation): set after.
   */
  rpFilter: ipv4Conf(IPV4_DEVCONF.RP_FILTER),
} as const satisfies Record<string, { encode(v: never): Attr; decode(a: AttrMap): unknown; applies: Applies; absent?: unknown; resend?: string }>;

export type LinkAttributeKey = keyof typeof LINK_ATTRIBUTES;
type ValueOf<K extends LinkAttributeKey> = Exclude<ReturnType<(typeof LINK_ATTRIBUTES)[K]["decode"]>, undefined>;
/** Values of the generic link attributes, by the table's names. */
export type LinkAttributes = { [K in LinkAttributeKey]?: ValueOf<K> };
type KeysApplying<P extends Applies> = { [K in LinkAttributeKey]: (typeof LINK_ATTRIBUTES)[K]["applies"] extends P ? K : never }[LinkAttributeKey];
/** What creation takes. */
export type CreateAttributes = Pick<LinkAttributes, KeysApplying<"create" | "live">>;
/** What a live device takes. */
export type LiveAttributes = Pick<LinkAttributes, KeysApplying<"live" | "after">>;

/** The table's rows, in order. */
export const LINK_ATTRIBUTE_ROWS = Object.entries(LINK_ATTRIBUTES) as Array<[LinkAttributeKey, LinkAttribute<unknown>]>;

/** The attributes of `values` that a request at `phase` may carry, in the table's order. */
function encodeAttributes(values: LinkAttributes, phase: "create" | "live"): Attr[] {
  const v = values as Record<string, unknown>;
  return LINK_ATTRIBUTE_ROWS.filter(([k, row]) => v[k] !== undefined && row.applies !== (phase === "create" ? "after" : "create")).map(([k, row]) => row.encode(v[k]));
}

/** Generic properties of one side of a link at creation (`ip link add … [peer …]`). */
export interface LinkSide extends CreateAttributes {
  name: string;
  /** An fd, open in the relay, of the netns to create the device in. */
  netnsFd?: number;
}

export interface Link extends LinkAttributes {
  ifindex: number;
  name: string;
  up: boolean;
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
}

export function macToBuffer(mac: string): Buffer {
  return Buffer.from(mac.split(":").map((h) => parseInt(h, 16)));
}

export function bufferToMac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** IFLA_* attributes of a side, in the order `ip link add` sends them. */
export function sideAttrs(s: LinkSide): Attr[] {
  const a: Attr[] = [str(IFLA.IFNAME, s.name), ...encodeAttributes(s, "create")];
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

export interface LinkChange extends LiveAttributes {
  up?: boolean;
  /** Kind-specific changes (`ip link set NAME type KIND …`). */
  kind?: { kind: string; data: Attr[] };
}

/** RTM_NEWLINK without NLM_F_CREATE changes an existing device found by name. */
export function changeLinkRequest(name: string, c: LinkChange): Buffer {
  const attrs: Attr[] = [str(IFLA.IFNAME, name), ...encodeAttributes(c, "live")];
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
  for (const [k, row] of LINK_ATTRIBUTE_ROWS) set(k, row.decode(a) as Link[typeof k]);
  const carrier = readU8(a, IFLA.CARRIER);
  if (carrier !== undefined) link.carrier = carrier === 1;
  set("linkIfindex", readU32(a, IFLA.LINK));
  const nsid = a.get(IFLA.LINK_NETNSID);
  if (nsid) link.linkNetnsId = nsid.readInt32LE(0);
  set("parentDevice", readStr(a, IFLA.PARENT_DEV_NAME));
  const li = readNested(a, IFLA.LINKINFO);
  if (li) {
    set("kind", readStr(li, IFLA_INFO.KIND));
    set("data", readNested(li, IFLA_INFO.DATA));
  }
  return link;
}
