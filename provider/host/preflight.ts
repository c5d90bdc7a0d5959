// Per-host preflight, once per host per run: kernel release, python3 (the relay runs at all),
// and which kernel features (features.ts) the host has. Each is probed from the kernel's own
// answers, never inferred from version numbers, and no probe can create a device: each is a
// netkit RTM_NEWLINK whose attributes fail validation on every kernel. Leasing is read from
// the generic netlink controller: the "netdev" family's op list names queue-create. The IPv4
// GSO/GRO limits are read from a link the kernel reports: every device carries
// IFLA_GSO_IPV4_MAX_SIZE where the kernel has it (`lo` always exists).
import { decodeAttrs, u32, u8, type Attr } from "../netlink/attributes";
import { IFINFOMSG_LEN, IFLA, IFLA_NETKIT, NETDEV_A_NAPI, NETDEV_CMD, NETDEV_FAMILY_NAME, NETLINK_GENERIC } from "../netlink/constants";
import { getFamilyRequest, getOpPolicyByNameRequest, parseFamily, parseOpPolicy } from "../netlink/genl";
import { ETHTOOL_A_RINGS, ETHTOOL_FAMILY_NAME, ETHTOOL_MSG } from "../netlink/ethtool";
import { getLinkRequest, newLinkRequest, parseLink } from "../netlink/link";
import type { NlMessage, NlStatus } from "../netlink/message";
import type { RelayTarget } from "./batch";
import type { FeatureSet, NicFeature } from "../features";
import type { RelayOp, RelayResult } from "./relay";

export interface HostFacts {
  host: string;
  kernelRelease: string;
  /** The NIC side's features (NIC_FEATURES) are there once nicProbed. */
  has: FeatureSet;
  /** The netdev family's id on this host (genl ids are assigned at boot), when it exists. */
  netdevFamilyId?: number;
  /** The NIC side was probed (HostClient.nicFacts): its features in `has` are real. */
  nicProbed?: boolean;
  /** The ethtool family's id, when it exists (NIC side). */
  ethtoolFamilyId?: number;
}

const PRIMARY_REJECTED = "Primary attribute is read-only";

/**
 * A probe of one netkit attribute: the attribute with a value its policy refuses, then
 * PRIMARY, which every netkit kernel refuses (NLA_REJECT), then MODE = 9, out of range
 * everywhere, as a last guard. The kernel validates in order and ignores attribute types it
 * does not know, so a refusal by anything but PRIMARY means it knows the attribute.
 */
export function attributeProbe(attr: Attr): Buffer {
  return newLinkRequest({ name: "nk-probe" }, "netkit", [attr, u8(IFLA_NETKIT.PRIMARY, 1), u32(IFLA_NETKIT.MODE, 9)]);
}

/** The netkit attribute probes, each with a value its policy refuses where it is known. */
export const ATTRIBUTE_PROBES = {
  // PAIRING and SCRUB are range-checked (NLA_POLICY_MAX): 7 is out of range.
  single: u32(IFLA_NETKIT.PAIRING, 7),
  scrub: u32(IFLA_NETKIT.SCRUB, 7),
  // HEADROOM and TAILROOM are NLA_U16: one byte is too short.
  headroom: u8(IFLA_NETKIT.HEADROOM, 0),
  tailroom: u8(IFLA_NETKIT.TAILROOM, 0),
} as const;
type ProbedAttribute = keyof typeof ATTRIBUTE_PROBES;
const PROBED = Object.keys(ATTRIBUTE_PROBES) as ProbedAttribute[];

/** Whether a probe's refusal shows netkit, and the attribute. */
export function classifyProbe(status: NlStatus | undefined): { netkit: boolean; known: boolean } {
  const netkit = !!status && status.errno !== 0 && status.message !== "Unknown device type";
  return { netkit, known: netkit && status?.message !== PRIMARY_REJECTED };
}

/**
 * What CTRL_CMD_GETFAMILY "netdev" says about leasing: the family's id, and whether its op
 * list has queue-create. A kernel without the family answers ENOENT (no reply message).
 */
export function classifyNetdevFamily(reply: NlMessage | undefined): { queueLease: boolean; netdevFamilyId?: number } {
  if (!reply) return { queueLease: false };
  const family = parseFamily(reply);
  return { queueLease: family.ops.has(NETDEV_CMD.QUEUE_CREATE), netdevFamilyId: family.id };
}

/** Whether a getlink reply (of `lo`) carries IFLA_GSO_IPV4_MAX_SIZE: the kernel has the IPv4 limits. */
export function classifyLinkReply(reply: NlMessage | undefined): { ipv4BigTcp: boolean } {
  if (!reply) return { ipv4BigTcp: false };
  parseLink(reply); // a link message, or this throws
  return { ipv4BigTcp: decodeAttrs(reply.payload.subarray(IFINFOMSG_LEN)).has(IFLA.GSO_IPV4_MAX_SIZE) };
}

/** The link every netns has, read for what its reply carries. */
export const PROBE_LINK = "lo";

const statusOf = (r: RelayResult | undefined) => (r?.kind === "netlink" ? r.status : undefined);

/** The probes, in one relay request; `host` names the host in the facts. */
export async function probeHost(target: RelayTarget & { host: string }): Promise<HostFacts> {
  const [release, netdev, lo, ...probes] = await target.request({
    stopOnError: false,
    readOnly: true,
    ops: [
      { op: "read", path: "/proc/sys/kernel/osrelease" },
      { op: "netlink", message: getFamilyRequest(NETDEV_FAMILY_NAME), proto: NETLINK_GENERIC },
      { op: "netlink", message: getLinkRequest(PROBE_LINK) },
      ...PROBED.map((k): RelayOp => ({ op: "netlink", message: attributeProbe(ATTRIBUTE_PROBES[k]) })),
    ],
  });
  const kernelRelease = release?.kind === "data" ? release.data.toString().trim() : "unknown";
  const familyReply = netdev?.kind === "netlink" && netdev.status.errno === 0 ? netdev.messages[0] : undefined;
  const seen = PROBED.map((k, i) => [k, classifyProbe(statusOf(probes[i]))] as const);
  const netkit = seen.every(([, c]) => c.netkit);
  const lease = classifyNetdevFamily(familyReply);
  const link = classifyLinkReply(lo?.kind === "netlink" && lo.status.errno === 0 ? lo.messages[0] : undefined);
  return {
    host: target.host,
    kernelRelease,
    has: {
      netkit,
      ...(Object.fromEntries(seen.map(([k, c]) => [k, netkit && c.known])) as Record<ProbedAttribute, boolean>),
      ipv4BigTcp: netkit && link.ipv4BigTcp,
      queueLease: lease.queueLease,
    },
    ...(lease.netdevFamilyId !== undefined ? { netdevFamilyId: lease.netdevFamilyId } : {}),
  };
}

/**
 * What the NIC side needs, from the generic netlink controller alone: the ethtool family and
 * its ops (channels, rings, RSS), which attributes RINGS_SET accepts (header split and its
 * threshold), the netdev family's NAPI ops and which attributes napi-set accepts. Nothing is
 * sent to a NIC.
 */
export function classifyNic(
  ethtool: NlMessage | undefined,
  netdev: NlMessage | undefined,
  ringsPolicy: Set<number> | undefined,
  napiPolicy: Set<number> | undefined,
): { has: Pick<FeatureSet, NicFeature>; ethtoolFamilyId?: number } {
  const e = ethtool ? parseFamily(ethtool) : undefined;
  const n = netdev ? parseFamily(netdev) : undefined;
  const ethtoolOk = !!e && e.ops.has(ETHTOOL_MSG.CHANNELS_SET) && e.ops.has(ETHTOOL_MSG.RINGS_SET);
  const napi = !!n && n.ops.has(NETDEV_CMD.NAPI_GET) && n.ops.has(NETDEV_CMD.NAPI_SET);
  const has: Record<NicFeature, boolean> = {
    ethtool: ethtoolOk,
    tcpDataSplit: ethtoolOk && !!ringsPolicy?.has(ETHTOOL_A_RINGS.TCP_DATA_SPLIT),
    hdsThresh: ethtoolOk && !!ringsPolicy?.has(ETHTOOL_A_RINGS.HDS_THRESH),
    rssNetlink: !!e && e.ops.has(ETHTOOL_MSG.RSS_GET) && e.ops.has(ETHTOOL_MSG.RSS_SET),
    napiSet: napi,
    napiIrqSuspend: napi && !!napiPolicy?.has(NETDEV_A_NAPI.IRQ_SUSPEND_TIMEOUT),
    napiThreaded: napi && !!napiPolicy?.has(NETDEV_A_NAPI.THREADED),
  };
  return { has, ...(e ? { ethtoolFamilyId: e.id } : {}) };
}

/** The NIC probes, in one read-only relay request; merged into `base` (the host's preflight facts). */
export async function probeNic(target: RelayTarget, base: HostFacts): Promise<HostFacts> {
  const [ethtool, netdev, rings, napi] = await target.request({
    stopOnError: false,
    readOnly: true,
    ops: [
      { op: "netlink", message: getFamilyRequest(ETHTOOL_FAMILY_NAME), proto: NETLINK_GENERIC },
      { op: "netlink", message: getFamilyRequest(NETDEV_FAMILY_NAME), proto: NETLINK_GENERIC },
      { op: "netlink", message: getOpPolicyByNameRequest(ETHTOOL_FAMILY_NAME, ETHTOOL_MSG.RINGS_SET), proto: NETLINK_GENERIC, dump: true },
      { op: "netlink", message: getOpPolicyByNameRequest(NETDEV_FAMILY_NAME, NETDEV_CMD.NAPI_SET), proto: NETLINK_GENERIC, dump: true },
    ],
  });
  const first = (r: RelayResult | undefined) => (r?.kind === "netlink" && r.status.errno === 0 ? r.messages[0] : undefined);
  const all = (r: RelayResult | undefined) => (r?.kind === "netlink" && r.status.errno === 0 ? r.messages : []);
  const c = classifyNic(first(ethtool), first(netdev), parseOpPolicy(all(rings), ETHTOOL_MSG.RINGS_SET), parseOpPolicy(all(napi), NETDEV_CMD.NAPI_SET));
  return { ...base, has: { ...base.has, ...c.has }, nicProbed: true, ...(c.ethtoolFamilyId !== undefined ? { ethtoolFamilyId: c.ethtoolFamilyId } : {}) };
}
