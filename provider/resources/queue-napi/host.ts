// What QueueNapi asks of its host: the queue as queue-get reports it (its NAPI id and its
// consumers) with its NAPI as napi-get does, read in one batch with the NIC (host/nic.ts);
// napi-set of the declared settings with the NAPI read back in the same writing batch.
import { NetkitError } from "../../errors";
import { RelayBatch } from "../../host/batch";
import type { HostClient } from "../../host/client";
import type { HostFacts } from "../../host/preflight";
import { ethtoolDevice, surveyNic, type NicSurvey } from "../../host/nic";
import { NETLINK_GENERIC } from "../../netlink/constants";
import { napiGetRequest, napiSetRequest, parseNapi, type NapiInfo, type NapiSettings } from "../../netlink/napi";
import type { QueueInfo } from "../../netlink/netdev";
import type { InputsOf } from "../../definition/resource";
import { defined } from "../declared";
import type { NapiPrevious, queueNapiDefinition } from "./definition";

type Inputs = InputsOf<typeof queueNapiDefinition>;

export const SETTINGS = ["deferHardIrqs", "groFlushTimeout", "irqSuspendTimeout", "threaded"] as const;
export type SettingKey = (typeof SETTINGS)[number];

/** The settings `i` declares. */
export function declared(i: Partial<Record<SettingKey, unknown>>): SettingKey[] {
  return SETTINGS.filter((k) => i[k] !== undefined);
}

export function wanted(i: Partial<Inputs>): NapiSettings {
  return defined({ deferHardIrqs: i.deferHardIrqs, groFlushTimeout: i.groFlushTimeout, irqSuspendTimeout: i.irqSuspendTimeout, threaded: i.threaded });
}

/** The NAPI's values of `keys`, as napi-get reports them: what a create records. */
export function previousOf(n: NapiInfo, keys: SettingKey[]): NapiPrevious {
  return defined(Object.fromEntries(keys.map((k) => [k, n[k]])));
}

export interface QueueView {
  survey: NicSurvey;
  queue?: QueueInfo;
  napi?: NapiInfo;
}

/** The NIC, the queue and its NAPI in one read-only batch. */
export async function readQueue(host: HostClient, facts: HostFacts, nic: string, queue: number, ifindex?: number): Promise<QueueView> {
  const survey = await surveyNic(host, facts, ethtoolDevice(nic, ifindex), { napi: true });
  const q = survey.rxQueues.find((x) => x.id === queue);
  const n = survey.napis.get(queue);
  return { survey, ...(q ? { queue: q } : {}), ...(n ? { napi: n } : {}) };
}

/** Why the queue's NAPI cannot be managed (the NIC, the queue, the NAPI), or undefined. */
export function whyNot(host: string, i: { nic: string; queue: number }, v: QueueView): string | undefined {
  const s = v.survey;
  if (!s.link) return `${host}: NIC ${i.nic} does not exist in the host's network namespace`;
  if (!s.link.parentDevice || s.link.kind === "netkit") return `${host}: ${i.nic} is a virtual device: QueueNapi manages a physical NIC's queue`;
  if (!s.link.up) return `${host}: ${i.nic} is down: the kernel lists the queues and NAPIs of running devices only; bring it up first`;
  const count = s.rxQueues.length;
  if (!v.queue) return `${host}: ${i.nic} has ${count} RX queues (0 … ${count - 1}): queue ${i.queue} is out of range`;
  if (v.queue.napiId === undefined)
    return `${host}: NIC ${i.nic} RX queue ${i.queue} has no NAPI instance (queue-get reports no napi-id: its driver does not link queues to NAPIs)`;
  if (!v.napi) return `${host}: napi-get does not show NAPI ${v.queue.napiId} of ${i.nic} RX queue ${i.queue}`;
  return undefined;
}

/** napi-set of `set` on the queue's NAPI, and napi-get of it in the same writing batch. */
export async function setNapi(host: HostClient, facts: HostFacts, nic: string, queue: number, napiId: number, set: NapiSettings): Promise<NapiInfo> {
  const fam = facts.netdevFamilyId!;
  const b = new RelayBatch();
  const what = Object.entries(set)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(", ");
  if (what) b.add(`set the NAPI of ${nic} RX queue ${queue} (napi-set ${napiId}: ${what})`, { op: "netlink", message: napiSetRequest(fam, napiId, set), proto: NETLINK_GENERIC });
  const get = b.add(`read the NAPI of ${nic} RX queue ${queue} back (napi-get ${napiId})`, { op: "netlink", message: napiGetRequest(fam, napiId), proto: NETLINK_GENERIC });
  const res = await host.run(b);
  const err = host.firstFailure(res, (e) => (e === "ENOENT" ? "the NAPI went away meanwhile (a channel change?): re-run" : undefined));
  if (err) throw err;
  const r = res.at(get);
  if (r?.kind !== "netlink" || !r.messages[0]) throw new NetkitError(`${host.host}: napi-get ${napiId} returned nothing`);
  return parseNapi(r.messages[0]);
}
