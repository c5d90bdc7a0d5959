// What NicQueues asks of its host: a survey of the NIC (host/nic.ts), the refusals it shows
// (plan.ts), the ordered ethtool steps in one writing relay batch with the NIC read back in
// the same batch, and, when a step fails half way, the NIC put back as it was before the
// change. Restoring `previous` is the same path towards other values.
import { NetkitError } from "../../errors";
import { RelayBatch, type BatchResults } from "../../host/batch";
import type { HostClient } from "../../host/client";
import type { HostFacts } from "../../host/preflight";
import { ethtoolDevice, ethtoolOp, surveyNic, type NicSurvey } from "../../host/nic";
import {
  channelsGetRequest,
  channelsSetRequest,
  indirShares,
  parseChannels,
  parseRings,
  parseRss,
  ringsGetRequest,
  ringsSetRequest,
  rssGetRequest,
  rssSetRequest,
  type EthtoolDevice,
} from "../../netlink/ethtool";
import type { RelayResult } from "../../host/relay";
import { declaredTable, plan, refusals, reportedSplit, settingsOf, type NicNow, type NicSettings, type Refusal, type Step } from "./plan";
import type { nicQueuesDefinition, Previous } from "./definition";
import type { InputsOf } from "../../definition/resource";
import { defined } from "../declared";

type Inputs = InputsOf<typeof nicQueuesDefinition>;

/** What to do about an ethtool refusal (the kernel's extack says most of it). */
const hint = (errnoName: string, extack: string | undefined): string | undefined => {
  if (extack && /busy|in use|leas|memory provider|AF_XDP/i.test(extack)) return "a queue in use stays: end the lease or the consumer (AF_XDP, io_uring) first";
  if (extack && /indirection table/.test(extack)) return "an RSS table names the queues that would go: declare rssEqual (or rssWeights) within the new count";
  if (errnoName === "EOPNOTSUPP") return "the NIC's driver does not support this setting";
  if (errnoName === "EPERM") return "the provider needs CAP_NET_ADMIN on the host: connect as root (or a user with sudo)";
  return undefined;
};

export function nowOf(s: NicSurvey): NicNow {
  const n: NicNow = {};
  if (s.channels && "ok" in s.channels) n.channels = s.channels.ok;
  if (s.rings && "ok" in s.rings) n.rings = s.rings.ok;
  if (s.rss && "ok" in s.rss) n.rss = s.rss.ok;
  return n;
}

const first = (r: RelayResult | undefined) => (r?.kind === "netlink" && r.status.errno === 0 ? r.messages[0] : undefined);

function describeStep(nic: string, st: Step): string {
  if (st.kind === "channels")
    return `set the channels of ${nic} (ethtool -L ${nic}${st.combined !== undefined ? ` combined ${st.combined}` : ""}${st.rx !== undefined ? ` rx ${st.rx}` : ""})`;
  if (st.kind === "rings") {
    const split = st.tcpDataSplit === undefined ? "" : ` tcp-data-split ${st.tcpDataSplit === "enabled" ? "on" : st.tcpDataSplit === "disabled" ? "off" : "auto"}`;
    return `set the rings of ${nic} (ethtool -G ${nic}${st.rx !== undefined ? ` rx ${st.rx}` : ""}${split}${st.hdsThresh !== undefined ? ` hds-thresh ${st.hdsThresh}` : ""})`;
  }
  if (!st.table.length) return `reset the RSS table of ${nic} to the driver's default (ethtool -X ${nic} default)`;
  const shares = indirShares(st.table);
  return `set the RSS table of ${nic} (ethtool -X ${nic}: ${st.table.length} buckets, per queue ${shares.join(" ")})`;
}

export interface Applied {
  now: NicNow;
  release: string;
}

/**
 * Runs `steps` in one writing batch and reads the NIC back in it (channels, rings, and RSS when
 * `withRss`). A step the kernel refuses stops the batch; the error names it.
 */
async function runSteps(host: HostClient, facts: HostFacts, dev: EthtoolDevice, steps: Step[], withRss: boolean): Promise<{ res: BatchResults; reads: number[]; at: number[] }> {
  const fam = facts.ethtoolFamilyId!;
  const b = new RelayBatch();
  const at = steps.map((st) =>
    b.add(
      describeStep(dev.name, st),
      ethtoolOp(
        st.kind === "channels"
          ? channelsSetRequest(fam, dev, { ...(st.combined !== undefined ? { combined: st.combined } : {}), ...(st.rx !== undefined ? { rx: st.rx } : {}) })
          : st.kind === "rings"
            ? ringsSetRequest(fam, dev, {
                ...(st.rx !== undefined ? { rx: st.rx } : {}),
                ...(st.tcpDataSplit !== undefined ? { tcpDataSplit: st.tcpDataSplit } : {}),
                ...(st.hdsThresh !== undefined ? { hdsThresh: st.hdsThresh } : {}),
              })
            : rssSetRequest(fam, dev, st.table),
      ),
    ),
  );
  const reads = [
    b.add(`read the channels of ${dev.name} back`, ethtoolOp(channelsGetRequest(fam, dev))),
    b.add(`read the rings of ${dev.name} back`, ethtoolOp(ringsGetRequest(fam, dev))),
    withRss ? b.add(`read the RSS table of ${dev.name} back`, ethtoolOp(rssGetRequest(fam, dev))) : -1,
  ];
  return { res: await host.run(b), reads, at };
}

function readBack(res: BatchResults, reads: number[]): NicNow {
  const [c, r, x] = reads.map((i) => first(res.at(i)));
  const now: NicNow = {};
  if (c) now.channels = parseChannels(c);
  if (r) now.rings = parseRings(r);
  if (x) now.rss = parseRss(x);
  return now;
}

/**
 * Takes the NIC from `s` (as surveyed) to `want`. If a step fails after others changed the
 * NIC, what they changed is put back (`back`: the values before, for those fields), and the
 * error says whether that worked.
 */
export async function applySettings(host: HostClient, facts: HostFacts, s: NicSurvey, want: NicSettings, back: NicSettings): Promise<Applied> {
  const dev = ethtoolDevice(s.link!.name, s.link!.ifindex);
  const steps = plan(nowOf(s), want);
  const withRss = want.rssTable !== undefined || back.rssTable !== undefined;
  if (!steps.length) return { now: nowOf(s), release: "" };
  const { res, reads, at } = await runSteps(host, facts, dev, steps, withRss);
  const failedAt = res.firstFailed();
  if (failedAt >= 0) {
    const err = host.failure(res, failedAt, hint);
    const ran = at.filter((i) => i < failedAt);
    if (ran.length) {
      try {
        const again = await surveyNic(host, facts, dev, { rss: withRss });
        const undo = plan(nowOf(again), back);
        if (undo.length) {
          const u = await runSteps(host, facts, dev, undo, withRss);
          const e = host.firstFailure(u.res, hint);
          if (e) throw e;
        }
        err.message += `; the steps before it were undone (${ran.map((i) => res.labels[i]).join("; ")})`;
      } catch (x) {
        err.message += `; undoing the steps before it failed too (${x instanceof Error ? x.message : String(x)}): check ${dev.name} with ethtool`;
      }
    }
    throw err;
  }
  return { now: readBack(res, reads), release: res.release };
}

/** The first refusal as the error to raise (a CapabilityError where the NIC lacks an op). */
export function raise(r: Refusal[]): void {
  if (r.length) throw r[0]!.error instanceof NetkitError ? r[0]!.error : new NetkitError(r[0]!.error.message);
}

/**
 * Puts back what the NIC had (`previous`), in the kernel's order. The header split goes back
 * to the driver's choice ("auto") first: a driver may report "enabled" under auto (the
 * kernel's configuration is then "unknown", as before the resource set it); only when the
 * NIC then reports something else than before is the old value set explicitly.
 */
export async function restorePrevious(host: HostClient, facts: HostFacts, nic: EthtoolDevice, previous: Previous): Promise<{ gone: boolean; now?: NicNow }> {
  const want = settingsOf(previous);
  if (want.tcpDataSplit !== undefined && !facts.has.tcpDataSplit) delete want.tcpDataSplit;
  const explicit = want.tcpDataSplit;
  if (explicit !== undefined) want.tcpDataSplit = "auto";
  const s = await surveyNic(host, facts, nic, { rss: want.rssTable !== undefined });
  if (!s.link) return { gone: true };
  if (nic.ifindex !== undefined && s.link.ifindex !== nic.ifindex) return { gone: true };
  // A queue in use stops the restore before it changes anything, naming who uses it.
  raise(refusals(host.host, nic.name, s, want));
  let { now } = await applySettings(host, facts, s, want, {});
  if (explicit !== undefined && explicit !== "auto" && reportedSplit(now.rings) !== explicit) {
    const again = await surveyNic(host, facts, nic, {});
    now = (await applySettings(host, facts, again, { tcpDataSplit: explicit }, {})).now;
  }
  return { gone: false, now };
}

/** The settings fields, and "rss" for rssEqual/rssWeights: what `previous` is recorded for. */
export type Managed = keyof NicSettings | "rss";

export function managed(i: Partial<Inputs>): Set<Managed> {
  const out = new Set<Managed>();
  for (const k of ["combinedChannels", "rxChannels", "rxRing", "tcpDataSplit", "hdsThresh"] as const) if (i[k] !== undefined) out.add(k);
  if (i.rssEqual !== undefined || i.rssWeights !== undefined) out.add("rss");
  return out;
}

/** What the inputs ask of the NIC; "auto" header split on a kernel that cannot set it is what it has anyway. */
export function wantOf(i: Partial<Inputs>, tableSize: number, facts: HostFacts): NicSettings {
  const w: NicSettings = defined({
    combinedChannels: i.combinedChannels,
    rxChannels: i.rxChannels,
    rxRing: i.rxRing,
    tcpDataSplit: i.tcpDataSplit === "auto" && !facts.has.tcpDataSplit ? undefined : i.tcpDataSplit,
    hdsThresh: i.hdsThresh,
    rssTable: declaredTable(i, tableSize),
  });
  return w;
}

/** The survey a change needs: RSS when declared (or to restore), a try of the header split settings. */
export function surveyFor(host: HostClient, facts: HostFacts, i: Partial<Inputs>, ifindex?: number, previous?: Previous): Promise<NicSurvey> {
  const split = defined({ tcpDataSplit: i.tcpDataSplit === "auto" ? undefined : i.tcpDataSplit === "enabled" ? ("enabled" as const) : i.tcpDataSplit, hdsThresh: i.hdsThresh });
  return surveyNic(host, facts, ethtoolDevice(i.nic!, ifindex), {
    rss: managed(i).has("rss") || previous?.rssDefault === true || previous?.rssTable !== undefined,
    ...(Object.keys(split).length && facts.has.tcpDataSplit ? { ringsProbe: split } : {}),
  });
}

export const tableSize = (s: NicSurvey) => (s.rss && "ok" in s.rss ? s.rss.ok.indir.length : 0);
const rssDeclared = (i: Partial<Inputs>) => (i.rssEqual !== undefined ? ("rssEqual" as const) : i.rssWeights !== undefined ? ("rssWeights" as const) : undefined);

/** The refusals of a change to `i`, raised: before anything changes. */
export function refuse(host: HostClient, i: Partial<Inputs>, s: NicSurvey, facts: HostFacts): void {
  const want = wantOf(i, tableSize(s) || 1, facts);
  const rss = rssDeclared(i);
  raise(refusals(host.host, i.nic!, s, { ...want, ...(rss ? { rssDeclared: rss, rssQueues: i.rssEqual ?? i.rssWeights?.length } : {}) }));
}
