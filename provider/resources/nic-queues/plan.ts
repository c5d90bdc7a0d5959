// What a NicQueues change does to a NIC, decided without a host: the NIC as surveyed and the
// settings wanted go in; the refusals the kernel would give, and the ordered ethtool steps
// to get there, come out. Kept pure so that every rule is unit-tested; host.ts gathers the
// survey and runs the steps.
//
// The order is the kernel's: an RSS table may only name queues that exist, and channels may
// only shrink away from queues that nothing uses (a lease, AF_XDP, a memory provider) and that
// no RSS table or flow rule names. So channels grow first, then rings and header split, then
// RSS, and channels shrink last. Restoring what was there before runs the same planner.
import { CapabilityError } from "../../errors";
import { defaultIndir, equalIndir, rxQueueCount, weightedIndir, type Channels, type Rings, type Rss, type TcpDataSplit } from "../../netlink/ethtool";
import type { QueueInfo } from "../../netlink/netdev";
import { consumers, isUnsupported, type Missing, type NicSurvey, type Part } from "../../host/nic";
import type { Previous } from "./definition";

export type SplitSetting = "enabled" | "disabled" | "auto";

/** What a NicQueues declares (or what it restores), in NIC terms. Undefined: leave as it is. */
export interface NicSettings {
  combinedChannels?: number;
  rxChannels?: number;
  rxRing?: number;
  tcpDataSplit?: SplitSetting;
  hdsThresh?: number;
  /** The RSS indirection table to set; [] resets it to the driver's default spread. */
  rssTable?: number[];
}

export type Step =
  { kind: "channels"; combined?: number; rx?: number } | { kind: "rings"; rx?: number; tcpDataSplit?: TcpDataSplit; hdsThresh?: number } | { kind: "rss"; table: number[] };

/** The NIC's settings as ethtool reports them. */
export interface NicNow {
  channels?: Channels;
  rings?: Rings;
  rss?: Rss;
}

const splitValue = (s: SplitSetting): TcpDataSplit => (s === "auto" ? "unknown" : s);

/** The NIC's reported header split in the resource's terms ("auto": the driver does not report it). */
export function reportedSplit(r: Rings | undefined): SplitSetting {
  return r?.tcpDataSplit === "enabled" || r?.tcpDataSplit === "disabled" ? r.tcpDataSplit : "auto";
}

/**
 * The ordered steps from `now` to `want`. The header split is always sent when declared on
 * or off: a driver may report it on while the kernel's configuration is "auto", and zero-copy
 * receive needs the configuration on (the kernel ignores a set that changes nothing).
 */
export function plan(now: NicNow, want: NicSettings): Step[] {
  const steps: Step[] = [];
  const c = now.channels;
  const channels: { combined?: number; rx?: number } = {};
  if (want.combinedChannels !== undefined && want.combinedChannels !== c?.combined?.count) channels.combined = want.combinedChannels;
  if (want.rxChannels !== undefined && want.rxChannels !== (c?.rx?.count ?? 0)) channels.rx = want.rxChannels;
  const before = c ? rxQueueCount(c) : 0;
  const after = (channels.combined ?? c?.combined?.count ?? 0) + (channels.rx ?? c?.rx?.count ?? 0);
  const grow = Object.keys(channels).length > 0 && after >= before;
  const shrink = Object.keys(channels).length > 0 && !grow;
  if (grow) steps.push({ kind: "channels", ...channels });

  const rings: Extract<Step, { kind: "rings" }> = { kind: "rings" };
  if (want.rxRing !== undefined && want.rxRing !== now.rings?.rx) rings.rx = want.rxRing;
  // "auto" is sent only to take back an explicit setting: a driver that reports no split has nothing to take back (and may not accept the attribute).
  if (want.tcpDataSplit !== undefined && (want.tcpDataSplit !== "auto" || reportedSplit(now.rings) !== "auto")) rings.tcpDataSplit = splitValue(want.tcpDataSplit);
  if (want.hdsThresh !== undefined && want.hdsThresh !== now.rings?.hdsThresh) rings.hdsThresh = want.hdsThresh;
  if (Object.keys(rings).length > 1) steps.push(rings);

  if (want.rssTable !== undefined) {
    const current = now.rss?.indir ?? [];
    const resetWanted = want.rssTable.length === 0;
    // A reset is sent whenever asked: only it makes the table the driver's again (one it re-spreads on a channel change).
    if (resetWanted || !sameTable(current, want.rssTable)) steps.push({ kind: "rss", table: want.rssTable });
  }
  if (shrink) steps.push({ kind: "channels", ...channels });
  return steps;
}

const sameTable = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The RSS table NicQueues declares, in the NIC's table size; undefined: RSS is not declared. */
export function declaredTable(i: { rssEqual?: number | undefined; rssWeights?: number[] | undefined }, size: number): number[] | undefined {
  if (i.rssEqual !== undefined) return equalIndir(size, i.rssEqual);
  if (i.rssWeights !== undefined) return weightedIndir(size, i.rssWeights);
  return undefined;
}

/** The RX queues the NIC will have with `want`'s channels (or its current ones). */
export function queuesAfter(now: NicNow, want: NicSettings): number {
  const c = now.channels;
  return (want.combinedChannels ?? c?.combined?.count ?? 0) + (want.rxChannels ?? c?.rx?.count ?? 0);
}

/** The NIC's settings for the fields `declared` names, as they are now: what a create records as `previous`. */
export function previousOf(now: NicNow, declared: Set<keyof NicSettings | "rss">): Previous {
  const p: Previous = {};
  const c = now.channels;
  if (declared.has("combinedChannels") && c?.combined) p.combinedChannels = c.combined.count;
  if (declared.has("rxChannels")) p.rxChannels = c?.rx?.count ?? 0;
  if (declared.has("rxRing") && now.rings?.rx !== undefined) p.rxRing = now.rings.rx;
  if (declared.has("tcpDataSplit")) p.tcpDataSplit = reportedSplit(now.rings);
  if (declared.has("hdsThresh") && now.rings?.hdsThresh !== undefined) p.hdsThresh = now.rings.hdsThresh;
  if (declared.has("rss") && now.rss?.indir.length) {
    const table = now.rss.indir;
    // The driver's default spread is restored as "default", so that the driver re-spreads on later channel changes.
    if (c && sameTable(table, defaultIndir(table.length, rxQueueCount(c)))) p.rssDefault = true;
    else p.rssTable = table;
  }
  return p;
}

/** What restoring `p` means, as settings to plan towards. */
export function settingsOf(p: Previous): NicSettings {
  const s: NicSettings = {};
  if (p.combinedChannels !== undefined) s.combinedChannels = p.combinedChannels;
  if (p.rxChannels !== undefined) s.rxChannels = p.rxChannels;
  if (p.rxRing !== undefined) s.rxRing = p.rxRing;
  if (p.tcpDataSplit !== undefined) s.tcpDataSplit = p.tcpDataSplit;
  if (p.hdsThresh !== undefined) s.hdsThresh = p.hdsThresh;
  if (p.rssDefault) s.rssTable = [];
  else if (p.rssTable) s.rssTable = p.rssTable;
  return s;
}

/** A refusal found before anything changes: the field it is about, and the error to raise. */
export interface Refusal {
  field: string;
  error: Error;
}

const missingText = (m: Missing) => `${m.op} answered ${m.errno}${m.extack ? ` (kernel: ${m.extack})` : ""}`;

/** "HOST: NIC N has no WHAT (WHY); FIELD needs it": the NIC, the field and the ethtool op that said so. */
export function nicCapability(host: string, nic: string, field: string, what: string, why: string): Refusal {
  return { field, error: new CapabilityError(`${host}: NIC ${nic} has no ${what} (${why}); ${field} needs it`) };
}

/** The part, or the CapabilityError that says which NIC lacks which op for which field. */
function needPart<T>(host: string, nic: string, field: string, what: string, p: Part<T> | undefined): T | Refusal {
  if (p && "ok" in p) return p.ok;
  const why = p && "missing" in p ? missingText(p.missing) : "the kernel has no ethtool netlink family";
  if (p && "missing" in p && !isUnsupported(p.missing)) return { field, error: new Error(`${host}: reading ${what} of ${nic} failed: ${why}`) };
  return nicCapability(host, nic, field, what, why);
}

const isRefusal = (x: unknown): x is Refusal => !!x && typeof x === "object" && "error" in x && "field" in x;

/** Queues from `from` on that something uses, by who: what a channel shrink would take away. */
export function busyFrom(queues: QueueInfo[], from: number): Array<{ queue: number; who: string[] }> {
  return queues
    .filter((q) => q.id >= from)
    .map((q) => ({ queue: q.id, who: consumers(q) }))
    .filter((x) => x.who.length);
}

/**
 * Every refusal the survey shows for `want` (the fields a change sets), each naming the field:
 * a NIC that lacks the op (CapabilityError), a value beyond the NIC's maximum, a channel count
 * that would remove a queue in use (naming who uses it), a header split the kernel refuses
 * (a memory provider, single-buffer XDP), an RSS table naming queues that will not exist.
 */
export function refusals(host: string, nicName: string, s: NicSurvey, want: NicSettings & { rssDeclared?: "rssEqual" | "rssWeights"; rssQueues?: number }): Refusal[] {
  const out: Refusal[] = [];
  if (!s.link) return [{ field: "nic", error: new Error(`${host}: NIC ${nicName} does not exist in the host's network namespace`) }];
  if (!s.link.parentDevice || s.link.kind === "netkit")
    return [{ field: "nic", error: new Error(`${host}: ${nicName} is a virtual device${s.link.kind ? ` (${s.link.kind})` : ""}: NicQueues manages a physical NIC's queues`) }];
  const now: NicNow = {};
  if (want.combinedChannels !== undefined || want.rxChannels !== undefined) {
    const field = want.combinedChannels !== undefined ? "combinedChannels" : "rxChannels";
    const c = needPart(host, nicName, field, "channel settings", s.channels);
    if (isRefusal(c)) out.push(c);
    else {
      now.channels = c;
      if (want.combinedChannels !== undefined && !c.combined)
        out.push(nicCapability(host, nicName, "combinedChannels", "combined channels", "ETHTOOL_MSG_CHANNELS_GET reports no combined-max; set rxChannels"));
      else if (want.combinedChannels !== undefined && want.combinedChannels > c.combined!.max)
        out.push({ field: "combinedChannels", error: new Error(`${host}: ${nicName} has at most ${c.combined!.max} combined channels: ${want.combinedChannels} is too many`) });
      if (want.rxChannels !== undefined && want.rxChannels > 0 && !c.rx)
        out.push(nicCapability(host, nicName, "rxChannels", "RX-only channels", "ETHTOOL_MSG_CHANNELS_GET reports no rx-max; set combinedChannels"));
      else if (want.rxChannels !== undefined && c.rx && want.rxChannels > c.rx.max)
        out.push({ field: "rxChannels", error: new Error(`${host}: ${nicName} has at most ${c.rx.max} RX-only channels: ${want.rxChannels} is too many`) });
      const after = queuesAfter(now, want);
      for (const b of busyFrom(s.rxQueues, after))
        out.push({
          field,
          error: new Error(
            `${host}: ${nicName} would keep ${after} RX queues, but queue ${b.queue} is in use by ${b.who.join(" and ")}: the kernel refuses to remove a queue in use; end that first`,
          ),
        });
    }
  }
  if (want.rxRing !== undefined || want.tcpDataSplit !== undefined || want.hdsThresh !== undefined) {
    const field = want.rxRing !== undefined ? "rxRing" : want.tcpDataSplit !== undefined ? "tcpDataSplit" : "hdsThresh";
    const r = needPart(host, nicName, field, "ring settings", s.rings);
    if (isRefusal(r)) out.push(r);
    else {
      now.rings = r;
      if (want.rxRing !== undefined && (r.rxMax === undefined || r.rxMax === 0))
        out.push(nicCapability(host, nicName, "rxRing", "settable RX ring", "ETHTOOL_MSG_RINGS_GET reports no rx-max"));
      else if (want.rxRing !== undefined && want.rxRing > r.rxMax!)
        out.push({ field: "rxRing", error: new Error(`${host}: ${nicName}'s RX ring holds at most ${r.rxMax} descriptors: ${want.rxRing} is too many`) });
      if (want.hdsThresh !== undefined && r.hdsThreshMax === undefined)
        out.push(
          nicCapability(
            host,
            nicName,
            "hdsThresh",
            "header/data split threshold",
            "ETHTOOL_MSG_RINGS_GET reports no hds-thresh: the driver does not declare ETHTOOL_RING_USE_HDS_THRS",
          ),
        );
      else if (want.hdsThresh !== undefined && want.hdsThresh > r.hdsThreshMax!)
        out.push({ field: "hdsThresh", error: new Error(`${host}: ${nicName}'s header/data split threshold is at most ${r.hdsThreshMax}: ${want.hdsThresh} is too large`) });
      const m = s.ringsRefusal;
      if (m) {
        const splitField =
          want.tcpDataSplit !== undefined && /TCP data split|tcp-data-split/i.test(m.extack ?? "") ? "tcpDataSplit" : want.hdsThresh !== undefined ? "hdsThresh" : "tcpDataSplit";
        const holders = s.rxQueues.filter((q) => q.memoryProvider).map((q) => `queue ${q.id} (${consumers(q).join(", ")})`);
        const why = missingText(m) + (holders.length && /memory provider/.test(m.extack ?? "") ? `: held by ${holders.join(", ")}` : "");
        out.push(
          isUnsupported(m)
            ? nicCapability(host, nicName, splitField, splitField === "hdsThresh" ? "settable header/data split threshold" : "settable TCP header/data split", why)
            : { field: splitField, error: new Error(`${host}: ${nicName} refuses ${splitField}: ${why}`) },
        );
      }
    }
  }
  if (want.rssDeclared) {
    const field = want.rssDeclared;
    const x = needPart(host, nicName, field, "RSS indirection table", s.rss);
    if (isRefusal(x)) out.push(x);
    else if (!x.indir.length)
      out.push(nicCapability(host, nicName, field, "RSS indirection table", "ETHTOOL_MSG_RSS_GET reports none; a virtio-net device must offer the RSS feature"));
    else {
      const queues = now.channels ? queuesAfter(now, want) : s.channels && "ok" in s.channels ? queuesAfter({ channels: s.channels.ok }, want) : undefined;
      if (queues !== undefined && want.rssQueues !== undefined && want.rssQueues > queues)
        out.push({ field, error: new Error(`${host}: ${nicName} will have ${queues} RX queues: RSS cannot spread over ${want.rssQueues}`) });
    }
  }
  return out;
}
