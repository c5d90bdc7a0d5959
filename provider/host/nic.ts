// A physical NIC as the NIC-side resources see it (NicQueues, NicQueue, FlowRule): its link,
// its channels, rings and RSS table (ethtool netlink), its RX queues with their NAPIs and
// consumers (netdev queue-get, napi-get), and its flow rules (the SIOCETHTOOL ioctl), read in
// one read-only relay batch. Each part the driver does not implement is recorded with the op
// that said so, so that a refusal names the NIC, the field and the missing ethtool op.
import { RelayBatch, type BatchResults } from "./batch";
import type { HostClient } from "./client";
import { linkOf, type NetkitLink } from "./netkit";
import { errnoName, type RelayOp, type RelayResult } from "./relay";
import type { HostFacts } from "./preflight";
import { getLinkRequest } from "../netlink/link";
import { NETLINK_GENERIC } from "../netlink/constants";
import {
  channelsGetRequest,
  parseChannels,
  parseRings,
  parseRss,
  ringsGetRequest,
  RINGS_PROBE_PASSED,
  ringsSetProbeRequest,
  rssGetRequest,
  type Channels,
  type EthtoolDevice,
  type Rings,
  type RingsSet,
  type Rss,
} from "../netlink/ethtool";
import { parseQueue, queueGetDumpRequest, type QueueInfo } from "../netlink/netdev";
import { napiGetDumpRequest, parseNapi, type NapiInfo } from "../netlink/napi";
import { ifreq, IFREQ_DATA_OFFSET, parseRuleCount, parseRule, ruleCountRequest, ruleGetRequest, SIOCETHTOOL, type InstalledRule } from "../netlink/flow-rules";

/** A driver that does not implement an op, as the kernel said it. */
export interface Missing {
  /** The ethtool op, as `ethtool` users know it: "ETHTOOL_MSG_RSS_GET (ethtool -x)". */
  op: string;
  errno: string;
  extack?: string;
}

export type Part<T> = { ok: T } | { missing: Missing };

export interface NicSurvey {
  /** Undefined: no device of that name in the host's netns. */
  link?: NetkitLink;
  channels?: Part<Channels>;
  rings?: Part<Rings>;
  rss?: Part<Rss>;
  /** The NIC's RX queues (queue-get lists a device's queues only while it is up). */
  rxQueues: QueueInfo[];
  /** NAPI instances of the RX queues, by queue index (when asked). */
  napis: Map<number, NapiInfo>;
  /** The ringsProbe's answer: undefined when it passed (or was not asked). */
  ringsRefusal?: Missing;
  /** Flow steering: the rule count and table size, and the rules asked about by location. */
  rules?: Part<{ count: number; tableSize: number; driverPicksLocation: boolean }>;
  rule?: Part<InstalledRule>;
}

export interface SurveyAsk {
  rss?: boolean;
  /** The NAPIs of the RX queues (a napi-get dump of the NIC, matched by the ids queue-get reports). */
  napi?: boolean;
  /** Flow rules: the count, and the rule at this location. */
  rules?: boolean;
  ruleAt?: number;
  /** Header split settings to try (ringsSetProbeRequest): refused, they say why; else nothing to refuse. */
  ringsProbe?: Omit<RingsSet, "rx">;
}

const EOPNOTSUPP = 95;
const ENODEV = 19;

/** The NIC by name (and ifindex, once known: the kernel then checks both name the same device). */
export function ethtoolDevice(name: string, ifindex?: number): EthtoolDevice {
  return ifindex === undefined ? { name } : { name, ifindex };
}

/** An ethtool netlink request, sent from the host's netns. */
export const ethtoolOp = (message: Buffer): RelayOp => ({ op: "netlink", message, proto: NETLINK_GENERIC });

/** A SIOCETHTOOL ioctl on `dev` with the struct `rxnfc` it points to. */
export const rxnfcOp = (dev: string, rxnfc: Buffer): RelayOp => ({ op: "ioctl", request: SIOCETHTOOL, arg: ifreq(dev), bufs: [[IFREQ_DATA_OFFSET, rxnfc]] });

/** The struct an rxnfcOp's ioctl left, when it succeeded. */
export function rxnfcOf(r: RelayResult | undefined): Buffer | undefined {
  return r?.kind === "ioctl" && r.errno === 0 ? r.bufs[0] : undefined;
}

function part<T>(res: BatchResults, i: number, op: string, parse: (r: RelayResult) => T | undefined): Part<T> | undefined {
  if (i < 0) return undefined;
  const r = res.at(i);
  const errno = res.errno(i);
  if (errno === 0 && r) {
    const v = parse(r);
    return v === undefined ? undefined : { ok: v };
  }
  if (errno === undefined) return undefined;
  const extack = r?.kind === "netlink" ? r.status.message : undefined;
  return { missing: { op, errno: errnoName(errno), ...(extack ? { extack } : {}) } };
}

const first = (r: RelayResult) => (r.kind === "netlink" ? r.messages[0] : undefined);

/** Whether an op's failure means the driver lacks it (rather than a failure to report). */
export function isUnsupported(m: Missing): boolean {
  return m.errno === "EOPNOTSUPP";
}

/**
 * One read-only batch: the link, channels, rings (and RSS, flow rules when asked), the RX
 * queues, and the NAPI of each queue in `napiQueues` (napi-get needs the id queue-get reports:
 * a NAPI dump of the NIC gives them all in the same batch).
 */
export async function surveyNic(host: HostClient, facts: HostFacts, nic: EthtoolDevice, ask: SurveyAsk = {}): Promise<NicSurvey> {
  const b = new RelayBatch({ readOnly: true });
  const link = b.add(`read NIC ${nic.name}`, { op: "netlink", message: getLinkRequest(nic.name) });
  const fam = facts.ethtoolFamilyId;
  const channels = fam !== undefined ? b.add(`read the channels of ${nic.name} (ETHTOOL_MSG_CHANNELS_GET)`, ethtoolOp(channelsGetRequest(fam, nic))) : -1;
  const rings = fam !== undefined ? b.add(`read the rings of ${nic.name} (ETHTOOL_MSG_RINGS_GET)`, ethtoolOp(ringsGetRequest(fam, nic))) : -1;
  const rss = fam !== undefined && ask.rss && facts.has.rssNetlink ? b.add(`read the RSS table of ${nic.name} (ETHTOOL_MSG_RSS_GET)`, ethtoolOp(rssGetRequest(fam, nic))) : -1;
  const queues =
    facts.netdevFamilyId !== undefined
      ? b.add("dump queues (queue-get)", { op: "netlink", message: queueGetDumpRequest(facts.netdevFamilyId, nic.ifindex), proto: NETLINK_GENERIC, dump: true })
      : -1;
  const napis =
    ask.napi && facts.netdevFamilyId !== undefined && facts.has.napiSet
      ? b.add("dump NAPIs (napi-get)", { op: "netlink", message: napiGetDumpRequest(facts.netdevFamilyId, nic.ifindex), proto: NETLINK_GENERIC, dump: true })
      : -1;
  const probe =
    fam !== undefined && ask.ringsProbe
      ? b.add(`try the header split settings on ${nic.name} (ETHTOOL_MSG_RINGS_SET, refused before any change)`, ethtoolOp(ringsSetProbeRequest(fam, nic, ask.ringsProbe)))
      : -1;
  const rules = ask.rules ? b.add(`count the flow rules of ${nic.name} (ETHTOOL_GRXCLSRLCNT)`, rxnfcOp(nic.name, ruleCountRequest())) : -1;
  const rule = ask.ruleAt !== undefined ? b.add(`read flow rule ${ask.ruleAt} of ${nic.name} (ETHTOOL_GRXCLSRULE)`, rxnfcOp(nic.name, ruleGetRequest(ask.ruleAt))) : -1;
  const res = await host.run(b, false);
  // A missing NIC is an answer; anything else that failed to read is an error.
  if ((res.errno(link) ?? 0) !== 0 && res.errno(link) !== ENODEV) throw host.failure(res, link, () => undefined);
  const l = linkOf(res.at(link));
  const s: NicSurvey = { rxQueues: [], napis: new Map() };
  if (!l) return s;
  s.link = l;
  const c = part(res, channels, "ETHTOOL_MSG_CHANNELS_GET (ethtool -l)", (r) => first(r) && parseChannels(first(r)!));
  const g = part(res, rings, "ETHTOOL_MSG_RINGS_GET (ethtool -g)", (r) => first(r) && parseRings(first(r)!));
  const x = part(res, rss, "ETHTOOL_MSG_RSS_GET (ethtool -x)", (r) => first(r) && parseRss(first(r)!));
  if (c) s.channels = c;
  if (g) s.rings = g;
  if (x) s.rss = x;
  const q = res.at(queues);
  if (q?.kind === "netlink" && q.status.errno === 0) s.rxQueues = q.messages.map(parseQueue).filter((y) => y.ifindex === l.ifindex && y.type === "rx");
  const m = res.at(napis);
  if (m?.kind === "netlink" && m.status.errno === 0) {
    const byId = new Map(m.messages.map(parseNapi).map((x) => [x.id, x]));
    for (const rq of s.rxQueues) if (rq.napiId !== undefined && byId.has(rq.napiId)) s.napis.set(rq.id, byId.get(rq.napiId)!);
  }
  const p = res.at(probe);
  if (p?.kind === "netlink" && p.status.message !== RINGS_PROBE_PASSED) {
    const errno = p.status.errno;
    s.ringsRefusal = { op: "ETHTOOL_MSG_RINGS_SET (ethtool -G)", errno: errnoName(errno), ...(p.status.message ? { extack: p.status.message } : {}) };
  }
  const n = part(res, rules, "ETHTOOL_GRXCLSRLCNT (ethtool -n, -N)", (r) => (rxnfcOf(r) ? parseRuleCount(rxnfcOf(r)!) : undefined));
  if (n) s.rules = n;
  const one = part(res, rule, "ETHTOOL_GRXCLSRULE (ethtool -n rule N)", (r) => (rxnfcOf(r) ? parseRule(rxnfcOf(r)!) : undefined));
  if (one) s.rule = one;
  return s;
}

/** Who uses a queue, by what the kernel reports on it, for messages ("leased to …", "an AF_XDP socket", …); undefined: nobody. */
export function consumers(q: QueueInfo | undefined): string[] {
  if (!q) return [];
  const out: string[] = [];
  if (q.lease)
    out.push(`a lease (netkit ifindex ${q.lease.ifindex}${q.lease.netnsId !== undefined ? ` in the netns with nsid ${q.lease.netnsId}` : ""}, its queue ${q.lease.queueId})`);
  if (q.xsk) out.push("an AF_XDP socket");
  if (q.ioUring) out.push("io_uring zero-copy receive (an io_uring ifq)");
  if (q.dmabuf !== undefined) out.push(`a devmem dmabuf binding (id ${q.dmabuf})`);
  else if (q.memoryProvider && !q.ioUring) out.push("a memory provider");
  return out;
}

/** "in use by an AF_XDP socket and …": who uses a queue besides a lease it may have; undefined: nobody. */
export function inUseBy(q: QueueInfo): string | undefined {
  const users = consumers({ ...q, lease: undefined });
  return users.length ? `in use by ${users.join(" and ")}` : undefined;
}

export { EOPNOTSUPP };
