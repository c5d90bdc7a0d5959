// Reads for a refresh from one snapshot of the host's links. The engine reads one resource
// at a time (--parallel at once), so reading each device on its own costs a round trip per
// few resources; one dump of the host's netns and of every named netns (/run/netns) answers
// all of them: a refresh costs one round trip per host. Queue leases the same way: the first
// lease read of a refresh takes a second snapshot, the links again plus one queue-get dump
// and the nsids between the host's netns and each named one, and every lease read of that
// host is answered from it. A snapshot serves only reads: any request that may change the
// host, and time, end it.
import type { Logger } from "../log";
import { NETLINK_GENERIC, NLM_F_DUMP_INTR, NSID_NOT_ASSIGNED } from "../netlink/constants";
import { dumpLinksRequest } from "../netlink/link";
import { parseQueue, queueGetDumpRequest, type QueueInfo } from "../netlink/netdev";
import { getNsidRequest, isNsidMessage, parseNsid } from "../netlink/nsid";
import { RelayBatch, type BatchResults } from "./batch";
import { NETNS_DIR, parseNetkitLink, type DeviceRef, type NetkitLink, type ReadDevices } from "./netkit";
import { readNetkit } from "./netkit-ops";
import { FIRST_NS_FD, type RelayResult } from "./relay";
import type { LinkAnswer, LinkQuestion } from "./look-around";

/** Reads further apart than this see the host again (a refresh's reads come in a burst). */
export const SNAPSHOT_MAX_AGE_MS = 10_000;

/** The links of one netns by name; "unreadable" when its dump failed (a direct read says why). */
type NetnsLinks = Map<string, NetkitLink> | "unreadable";

interface Snapshot {
  release: string;
  /** By netns file path; "" is the host's netns. A netns missing here does not exist … */
  netns: Map<string, NetnsLinks>;
  /** … unless NETNS_DIR itself could not be listed. */
  listed: boolean;
}

/** Covered: the host's netns and the netns named in NETNS_DIR (other paths are read directly). */
function covered(d: DeviceRef): boolean {
  if (!d.netns) return true;
  const name = d.netns.slice(NETNS_DIR.length + 1);
  return d.netns.startsWith(`${NETNS_DIR}/`) && name.length > 0 && !name.includes("/");
}

function linksOf(r: RelayResult | undefined): NetnsLinks {
  if (r?.kind !== "netlink" || r.status.errno !== 0 || r.messages.some((m) => m.flags & NLM_F_DUMP_INTR)) return "unreadable";
  return new Map(r.messages.map((m) => parseNetkitLink(m)).map((l) => [l.name, l]));
}

/** In the snapshot: the link, undefined when absent, "unreadable" when only a direct read can tell. */
function lookup(s: Snapshot, d: DeviceRef): NetkitLink | undefined | "unreadable" {
  const links = s.netns.get(d.netns ?? "");
  if (links === undefined) return s.listed ? undefined : "unreadable";
  return links === "unreadable" ? links : links.get(d.name);
}

/** What the host knows of the leases of its NICs' queues: a queue-get dump and the nsids between netns. */
interface LeaseSnapshot extends Snapshot {
  /** undefined: the dump failed (a direct survey says why). */
  queues?: QueueInfo[];
  /** By netns path: the nsid the host's netns gives it, and the one it gives the host's netns. */
  nsids: Map<string, { ofNetns?: number; ofHost?: number }>;
}

/** A lease survey's answers for one device and NIC, as resources/leases/host.ts surveys them. */
export interface LeaseView {
  netnsMissing: boolean;
  device?: NetkitLink;
  nic?: NetkitLink;
  queues: QueueInfo[];
  deviceNetnsId?: number;
  hostNetnsId?: number;
}

function nsidIn(r: RelayResult | undefined): number | undefined {
  const m = r?.kind === "netlink" && r.status.errno === 0 ? r.messages.find(isNsidMessage) : undefined;
  const id = m ? parseNsid(m) : undefined;
  return id === undefined || id === NSID_NOT_ASSIGNED ? undefined : id;
}

/** What a snapshot needs of its host's client (client.ts). */
export interface SnapshotSource {
  readonly host: string;
  readonly writeGeneration: number;
  run(b: RelayBatch, stopOnError?: boolean): Promise<BatchResults>;
}

export class LinkSnapshot {
  private readonly links = new Fresh<Snapshot>();
  private readonly leases = new Fresh<LeaseSnapshot>();
  /** The snapshot a run's preview checks share: taken at the first check, kept for the run. */
  private forChecks?: Promise<Snapshot>;

  constructor(
    private readonly client: SnapshotSource,
    private readonly log: Logger,
  ) {}

  /**
   * readNetkit for a refresh: the same answer, from the host's current snapshot. Devices the
   * snapshot cannot answer for (a netns outside NETNS_DIR, a dump that failed) are read directly.
   */
  async read(primary: DeviceRef, peer?: DeviceRef): Promise<ReadDevices> {
    if (!covered(primary) || (peer && !covered(peer))) return readNetkit(this.client, primary, peer);
    const s = await this.snapshot();
    const p = lookup(s, primary);
    const q = peer ? lookup(s, peer) : undefined;
    if (p === "unreadable" || q === "unreadable") return readNetkit(this.client, primary, peer);
    return { release: s.release, ...(p ? { primary: p } : {}), ...(q ? { peer: q } : {}) };
  }

  /**
   * A lease survey for a refresh (the device, the NIC, the queues, the nsids), from the host's
   * current lease snapshot; undefined when only a direct survey can answer (a netns outside
   * NETNS_DIR, a dump that failed).
   */
  async survey(familyId: number, t: { deviceName: string; netns?: string; nic: string }): Promise<LeaseView | undefined> {
    if (!covered({ name: t.deviceName, ...(t.netns ? { netns: t.netns } : {}) })) return undefined;
    const s = await this.leases.get(this.client.writeGeneration, () => this.take(familyId));
    if (!s.queues) return undefined;
    const nic = lookup(s, { name: t.nic });
    const device = lookup(s, { name: t.deviceName, ...(t.netns ? { netns: t.netns } : {}) });
    if (nic === "unreadable" || device === "unreadable") return undefined;
    const netnsMissing = t.netns !== undefined && s.listed && !s.netns.has(t.netns);
    const ids = t.netns ? s.nsids.get(t.netns) : undefined;
    if (t.netns && !netnsMissing && !ids) return undefined;
    const v: LeaseView = { netnsMissing, queues: s.queues };
    if (device) v.device = device;
    if (nic) v.nic = nic;
    if (ids?.ofNetns !== undefined) v.deviceNetnsId = ids.ofNetns;
    if (ids?.ofHost !== undefined) v.hostNetnsId = ids.ofHost;
    return v;
  }

  /**
   * A preview check's link question, from one snapshot per run. The engine checks resources
   * one at a time, so asking each on its own costs a round trip per new resource; answers
   * were already kept for the whole run (client.ask), so one snapshot at the first check
   * is no staler. undefined: only a direct read can answer (a netns outside NETNS_DIR, a
   * dump that failed, a file in NETNS_DIR that is not a netns).
   */
  async answer(q: LinkQuestion): Promise<LinkAnswer | undefined> {
    const d: DeviceRef = { name: q.link, ...(q.netns ? { netns: q.netns } : {}) };
    if (!covered(d)) return undefined;
    if (!this.forChecks) {
      const p = this.take();
      p.catch(() => this.forChecks === p && (this.forChecks = undefined));
      this.forChecks = p;
    }
    const s = await this.forChecks;
    if (q.netns && s.listed && !s.netns.has(q.netns)) return { netns: "missing" };
    const link = lookup(s, d);
    if (link === "unreadable") return undefined;
    return link ? { netns: "ok", link } : { netns: "ok" };
  }

  private snapshot(): Promise<Snapshot> {
    return this.links.get(this.client.writeGeneration, () => this.take());
  }

  /** One relay run: every netns's links; with familyId also the queues and the nsids (in that order: a dump may assign an nsid). */
  private async take(familyId: number): Promise<LeaseSnapshot>;
  private async take(): Promise<Snapshot>;
  private async take(familyId?: number): Promise<Snapshot | LeaseSnapshot> {
    const b = new RelayBatch({ readOnly: true });
    const host = b.add("dump the links of the host's netns", { op: "netlink", message: dumpLinksRequest(), dump: true });
    const each = b.add(`dump the links of every netns in ${NETNS_DIR}`, { op: "netlinkEachNetns", message: dumpLinksRequest(), dir: NETNS_DIR });
    let q = -1;
    let ofHost = -1;
    let ofNetns = -1;
    if (familyId !== undefined) {
      b.add("open the host's netns", { op: "openNetns", path: "/proc/self/ns/net", fd: FIRST_NS_FD });
      q = b.add("dump queues (queue-get)", { op: "netlink", message: queueGetDumpRequest(familyId), proto: NETLINK_GENERIC, dump: true });
      ofHost = b.add(`read the nsid of the host's netns in every netns in ${NETNS_DIR}`, { op: "netlinkEachNetns", message: getNsidRequest(FIRST_NS_FD), dir: NETNS_DIR });
      ofNetns = b.add(`read the nsid of every netns in ${NETNS_DIR} in the host's netns`, {
        op: "netlinkEachNetns",
        message: getNsidRequest(FIRST_NS_FD + 1),
        dir: NETNS_DIR,
        netnsFd: FIRST_NS_FD + 1,
        fromHost: true,
      });
    }
    const res = await this.client.run(b, false);
    const netns = new Map<string, NetnsLinks>([["", linksOf(res.at(host))]]);
    const e = res.at(each);
    for (const { name, result } of e?.kind === "each" ? e.entries : []) netns.set(`${NETNS_DIR}/${name}`, linksOf(result));
    const links = [...netns.values()].reduce((n, l) => n + (l === "unreadable" ? 0 : l.size), 0);
    const snap: Snapshot = { release: res.release, netns, listed: e?.kind === "each" };
    if (familyId === undefined) {
      this.log.debug(`${this.client.host}: link snapshot for reads: ${links} links in ${netns.size} netns`);
      return snap;
    }
    const qr = res.at(q);
    const queues = qr?.kind === "netlink" && qr.status.errno === 0 && !qr.messages.some((m) => m.flags & NLM_F_DUMP_INTR) ? qr.messages.map(parseQueue) : undefined;
    const nsids = new Map<string, { ofNetns?: number; ofHost?: number }>();
    const fill = (r: RelayResult | undefined, key: "ofNetns" | "ofHost") => {
      for (const { name, result } of r?.kind === "each" ? r.entries : []) {
        if (result.kind !== "netlink" || result.status.errno !== 0) continue;
        const at = nsids.get(`${NETNS_DIR}/${name}`) ?? {};
        const id = nsidIn(result);
        if (id !== undefined) at[key] = id;
        nsids.set(`${NETNS_DIR}/${name}`, at);
      }
    };
    fill(res.at(ofNetns), "ofNetns");
    fill(res.at(ofHost), "ofHost");
    this.log.debug(`${this.client.host}: lease snapshot for reads: ${queues?.length ?? "no"} queues, ${links} links in ${netns.size} netns`);
    return { ...snap, ...(queues ? { queues } : {}), nsids };
  }
}

/** The snapshot while no write and no more than SNAPSHOT_MAX_AGE_MS came between; else a new one. */
class Fresh<S> {
  private entry?: { generation: number; pending: Promise<S>; takenAt?: number };

  get(generation: number, take: () => Promise<S>): Promise<S> {
    const e = this.entry;
    if (e && e.generation === generation && (e.takenAt === undefined || Date.now() - e.takenAt < SNAPSHOT_MAX_AGE_MS)) return e.pending;
    const entry: NonNullable<Fresh<S>["entry"]> = { generation, pending: take() };
    this.entry = entry;
    entry.pending.then(
      () => (entry.takenAt = Date.now()),
      () => this.entry === entry && (this.entry = undefined),
    );
    return entry.pending;
  }
}
