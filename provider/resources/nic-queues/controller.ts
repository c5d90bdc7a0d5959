// NicQueues' CRUD flow. Each setting is probed on the NIC (host/nic.ts) before anything
// changes; create records what the NIC had (`previous`), delete puts it back. The order
// against leases is the engine's: a device or binding that takes its NIC from this resource's
// output depends on it, so it is created after and deleted before these settings change.
import type * as pulumi from "@pulumi/pulumi";
import { inputKeys, type InputsOf, type OutputsOf } from "../../definition/resource";
import { NetkitError } from "../../errors";
import { definitionDriven } from "../definition-driven";
import { defined, observedInputs, withDeclared, DECLARED } from "../declared";
import { requireSameHost } from "../host-identity";
import { connectionOf, hostFor, providerLog } from "../hosts";
import { requireFeatures } from "../kernel-needs";
import { nicQueuesDefinition as definition, type Previous } from "./definition";
import { ethtoolDevice, surveyNic, type NicSurvey } from "../../host/nic";
import { equalIndir, indirShares, rxQueueCount, weightedIndir, type Rss } from "../../netlink/ethtool";
import type { HostClient } from "../../host/client";
import type { HostFacts } from "../../host/preflight";
import { previousOf, reportedSplit, settingsOf, type NicNow, type NicSettings } from "./plan";
import { applySettings, managed, nowOf, refuse, restorePrevious, surveyFor, tableSize, wantOf, type Managed } from "./host";
import { previewPlan } from "./preview";

type Inputs = InputsOf<typeof definition>;
type Outputs = OutputsOf<typeof definition>;

/** The N of an `equal N` table, when the table is one. */
function observedEqual(rss: Rss | undefined): number | undefined {
  if (!rss?.indir.length) return undefined;
  const n = Math.max(...rss.indir) + 1;
  const want = equalIndir(rss.indir.length, n);
  return rss.indir.every((q, i) => q === want[i]) ? n : undefined;
}

/** The declared weights when the table is theirs, else each queue's share of the table. */
function observedWeights(rss: Rss | undefined, declared: number[]): number[] | undefined {
  if (!rss?.indir.length) return undefined;
  const want = weightedIndir(rss.indir.length, declared);
  return rss.indir.every((q, i) => q === want[i]) ? declared : indirShares(rss.indir);
}

function outputs(i: Inputs, nicIfindex: number, now: NicNow, previous: Previous): Outputs {
  return defined({
    ...i,
    combinedChannels: now.channels?.combined?.count,
    rxChannels: now.channels?.rx ? now.channels.rx.count : i.rxChannels !== undefined ? 0 : undefined,
    rxRing: now.rings?.rx,
    // "auto" is the driver's choice: what it reports then is not the setting.
    tcpDataSplit: i.tcpDataSplit === "auto" ? "auto" : now.rings ? reportedSplit(now.rings) : undefined,
    hdsThresh: now.rings?.hdsThresh,
    rssEqual: i.rssEqual !== undefined ? observedEqual(now.rss) : undefined,
    rssWeights: i.rssWeights !== undefined ? observedWeights(now.rss, i.rssWeights) : undefined,
    nicIfindex,
    rxQueues: now.channels ? rxQueueCount(now.channels) : 0,
    previous,
  });
}

/** What the kernel did not set as asked ("rxRing 512 (asked 64)"), from the read-back. */
function notAsAsked(want: NicSettings, now: NicNow): string[] {
  const off: string[] = [];
  const check = (k: string, asked: number | string | undefined, got: number | string | undefined) =>
    asked !== undefined && asked !== got && off.push(`${k} ${String(got)} (asked ${String(asked)})`);
  check("combinedChannels", want.combinedChannels, now.channels?.combined?.count);
  check("rxChannels", want.rxChannels, now.channels?.rx?.count ?? 0);
  check("rxRing", want.rxRing, now.rings?.rx);
  check("hdsThresh", want.hdsThresh, now.rings?.hdsThresh);
  if (want.tcpDataSplit !== undefined && want.tcpDataSplit !== "auto") check("tcpDataSplit", want.tcpDataSplit, reportedSplit(now.rings));
  if (want.rssTable?.length && !(now.rss?.indir.length === want.rssTable.length && now.rss.indir.every((q, k) => q === want.rssTable![k])))
    off.push(`an RSS table with per-queue shares ${indirShares(now.rss?.indir ?? []).join(" ")} (asked ${indirShares(want.rssTable).join(" ")})`);
  return off;
}

/** Applies `want`, checks the read-back, and puts the NIC back (`back`) if the kernel did otherwise. */
async function applyChecked(host: HostClient, facts: HostFacts, s: NicSurvey, want: NicSettings, back: NicSettings): Promise<NicNow> {
  const { now, release } = await applySettings(host, facts, s, want, back);
  const off = notAsAsked(want, now);
  if (!off.length) return now;
  const err = new NetkitError(`${host.host}: kernel ${release} set ${s.link!.name} to ${off.join(", ")}`);
  try {
    const again = await surveyNic(host, facts, ethtoolDevice(s.link!.name, s.link!.ifindex), { rss: back.rssTable !== undefined });
    await applySettings(host, facts, again, back, {});
    err.message += "; the NIC was put back as it was";
  } catch (x) {
    err.message += `; putting the NIC back failed too (${x instanceof Error ? x.message : String(x)}): check it with ethtool`;
  }
  throw err;
}

function nicId(i: Pick<Inputs, "connection" | "nic">): string {
  const c = connectionOf(i.connection);
  return `${c.host}:${c.port}/${i.nic}`;
}

/** The fields a state declared (outputs keep the list), for an update's "newly declared". */
function declaredIn(o: Partial<Outputs>): Set<Managed> {
  const d = (o as Record<string, unknown>)[DECLARED];
  const keys = Array.isArray(d) ? (d as string[]) : Object.keys(o);
  return managed(Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k] ?? true])));
}

export const nicQueuesProvider: pulumi.dynamic.ResourceProvider<Inputs, Outputs> = {
  ...definitionDriven(definition, previewPlan),

  async create(i) {
    const host = await hostFor(i.connection);
    const facts = await requireFeatures(host, definition, i);
    const s = await surveyFor(host, facts, i);
    refuse(host, i, s, facts);
    const previous = previousOf(nowOf(s), managed(i));
    const now = await applyChecked(host, facts, s, wantOf(i, tableSize(s), facts), settingsOf(previous));
    return { id: nicId(i), outs: withDeclared(inputKeys(definition), i, outputs(i, s.link!.ifindex, now, previous)) };
  },

  async read(id, props) {
    if (!props?.nic) throw new NetkitError(`import id "${id}": NicQueues cannot be imported; declare it, and create records what the NIC has now as the values delete restores`);
    requireSameHost(definition.name, id, props.connection);
    const host = await hostFor(props.connection);
    const facts = await host.nicFacts();
    const s = await surveyFor(host, facts, { ...props, tcpDataSplit: undefined, hdsThresh: undefined }, undefined, props.previous);
    if (!s.link) {
      providerLog.info(`${id}: NIC ${props.nic} is gone, and with it what this resource set`);
      return { id: "", props: {} as Outputs };
    }
    if (s.link.ifindex !== props.nicIfindex)
      providerLog.warn(
        `${id}: ${props.nic} is another device now (ifindex ${props.nicIfindex} → ${s.link.ifindex}): its settings are the driver's; pulumi up sets the declared ones again`,
      );
    const outs = withDeclared(inputKeys(definition), props, outputs(props, s.link.ifindex, nowOf(s), props.previous ?? {}));
    if (props.rssEqual !== undefined && outs.rssEqual === undefined && s.rss && "ok" in s.rss)
      providerLog.warn(`${id}: the RSS table of ${props.nic} is no equal spread now (per-queue shares ${indirShares(s.rss.ok.indir).join(" ")})`);
    return { id, props: outs, inputs: observedInputs(inputKeys(definition), outs) };
  },

  async update(id, olds, news) {
    requireSameHost(definition.name, id, news.connection);
    const host = await hostFor(news.connection);
    const facts = await requireFeatures(host, definition, news);
    const s = await surveyFor(host, facts, news, olds.nicIfindex, olds.previous);
    if (!s.link) throw new NetkitError(`${host.host}: NIC ${news.nic} is gone: run \`pulumi refresh\``);
    refuse(host, news, s, facts);
    const before = previousOf(nowOf(s), managed(news));
    // A setting declared for the first time records what the NIC has now, as create does.
    const known = declaredIn(olds);
    const fresh = previousOf(nowOf(s), new Set([...managed(news)].filter((k) => !known.has(k))));
    const previous = { ...(olds.previous ?? {}), ...fresh };
    const now = await applyChecked(host, facts, s, wantOf(news, tableSize(s), facts), settingsOf(before));
    return { outs: withDeclared(inputKeys(definition), news, outputs(news, s.link.ifindex, now, previous)) };
  },

  async delete(id, props) {
    requireSameHost(definition.name, id, props.connection);
    const host = await hostFor(props.connection);
    const facts = await host.nicFacts();
    if (facts.ethtoolFamilyId === undefined) return;
    const r = await restorePrevious(host, facts, ethtoolDevice(props.nic, props.nicIfindex), props.previous ?? {});
    if (r.gone) providerLog.warn(`${id}: NIC ${props.nic} is gone (or another device now): nothing to restore`);
  },
};
