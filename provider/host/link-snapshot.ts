// Reads for a refresh from one snapshot of the host's links. The engine reads one resource
// at a time (--parallel at once), so reading each device on its own costs a round trip per
// few resources; one dump of the host's netns and of every named netns (/run/netns) answers
// all of them: a refresh costs one round trip per host. A snapshot serves only reads: any
// request that may change the host, and time, end it.
import type { Logger } from "../log";
import { NLM_F_DUMP_INTR } from "../netlink/constants";
import { dumpLinksRequest } from "../netlink/link";
import { RelayBatch, type BatchResults } from "./batch";
import { NETNS_DIR, parseNetkitLink, type DeviceRef, type NetkitLink, type ReadDevices } from "./netkit";
import type { RelayResult } from "./relay";

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

/** What a snapshot needs of its host's client (client.ts). */
export interface SnapshotSource {
  readonly host: string;
  readonly writeGeneration: number;
  run(b: RelayBatch, stopOnError?: boolean): Promise<BatchResults>;
  readNetkit(primary: DeviceRef, peer?: DeviceRef): Promise<ReadDevices>;
}

export class LinkSnapshot {
  private current?: { generation: number; pending: Promise<Snapshot>; takenAt?: number };

  constructor(
    private readonly client: SnapshotSource,
    private readonly log: Logger,
  ) {}

  /**
   * readNetkit for a refresh: the same answer, from the host's current snapshot. Devices the
   * snapshot cannot answer for (a netns outside NETNS_DIR, a dump that failed) are read directly.
   */
  async read(primary: DeviceRef, peer?: DeviceRef): Promise<ReadDevices> {
    if (!covered(primary) || (peer && !covered(peer))) return this.client.readNetkit(primary, peer);
    const s = await this.snapshot();
    const p = lookup(s, primary);
    const q = peer ? lookup(s, peer) : undefined;
    if (p === "unreadable" || q === "unreadable") return this.client.readNetkit(primary, peer);
    return { release: s.release, ...(p ? { primary: p } : {}), ...(q ? { peer: q } : {}) };
  }

  private snapshot(): Promise<Snapshot> {
    const e = this.current;
    const generation = this.client.writeGeneration;
    if (e && e.generation === generation && (e.takenAt === undefined || Date.now() - e.takenAt < SNAPSHOT_MAX_AGE_MS)) return e.pending;
    const entry: NonNullable<LinkSnapshot["current"]> = { generation, pending: this.take() };
    this.current = entry;
    entry.pending.then(
      () => (entry.takenAt = Date.now()),
      () => this.current === entry && (this.current = undefined),
    );
    return entry.pending;
  }

  private async take(): Promise<Snapshot> {
    const b = new RelayBatch({ readOnly: true });
    const host = b.add("dump the links of the host's netns", { netlink: dumpLinksRequest(), dump: true });
    const each = b.add(`dump the links of every netns in ${NETNS_DIR}`, { netlink: dumpLinksRequest(), eachNetnsIn: NETNS_DIR });
    const res = await this.client.run(b, false);
    const netns = new Map<string, NetnsLinks>([["", linksOf(res.at(host))]]);
    const e = res.at(each);
    for (const { name, result } of e?.kind === "each" ? e.entries : []) netns.set(`${NETNS_DIR}/${name}`, linksOf(result));
    const links = [...netns.values()].reduce((n, l) => n + (l === "unreadable" ? 0 : l.size), 0);
    this.log.debug(`${this.client.host}: link snapshot for reads: ${links} links in ${netns.size} netns`);
    return { release: res.release, netns, listed: e?.kind === "each" };
  }
}
