// What FlowRule asks of its host, through SIOCETHTOOL (host/nic.ts's rxnfcOp): the rule count,
// table size and whether the driver picks locations (ETHTOOL_GRXCLSRLCNT), the locations in use
// (ETHTOOL_GRXCLSRLALL) where it does not, the insert (ETHTOOL_SRXCLSRLINS) with the rule read
// back in the same batch (ETHTOOL_GRXCLSRULE), and a delete (ETHTOOL_SRXCLSRLDEL) only of a rule
// that still is the one the state recorded.
import { RelayBatch } from "../../host/batch";
import type { HostClient } from "../../host/client";
import { rxnfcOf, rxnfcOp, type NicSurvey } from "../../host/nic";
import { CapabilityError, NetkitError } from "../../errors";
import type { InputsOf } from "../../definition/resource";
import { defined } from "../declared";
import type { flowRuleDefinition } from "./definition";
import {
  insertedLocation,
  parseRule,
  parseRuleLocations,
  ruleDeleteRequest,
  ruleGetRequest,
  ruleInsertRequest,
  ruleLocationsRequest,
  RX_CLS_LOC_ANY,
  type FlowMatch,
  type FlowRule,
  type InstalledRule,
} from "../../netlink/flow-rules";

type Inputs = InputsOf<typeof flowRuleDefinition>;

const ENOENT = 2;
const ENODEV = 19;

/** `ethtool -N` words for a rule, for labels and messages. */
export function describeRule(nic: string, r: FlowRule): string {
  const words = [`flow-type ${r.flowType}`];
  if (r.srcIp !== undefined) words.push(`src-ip ${r.srcIp}`);
  if (r.dstIp !== undefined) words.push(`dst-ip ${r.dstIp}`);
  if (r.srcPort !== undefined) words.push(`src-port ${r.srcPort}`);
  if (r.dstPort !== undefined) words.push(`dst-port ${r.dstPort}`);
  return `ethtool -N ${nic} ${words.join(" ")} action ${r.queue}`;
}

/** Whether an installed rule is `r` (the same flow, to the same queue). */
export function sameRule(a: InstalledRule, r: FlowRule): boolean {
  const keys: Array<keyof FlowMatch> = ["flowType", "srcIp", "dstIp", "srcPort", "dstPort"];
  return a.other === undefined && a.queue === r.queue && keys.every((k) => a[k] === r[k]);
}

/**
 * Where a rule goes: the declared location (it must be free), RX_CLS_LOC_ANY where the driver
 * picks, else the lowest free slot of the table (what `ethtool -N` does for such drivers).
 */
export function chooseLocation(declared: number | undefined, table: { tableSize: number; driverPicksLocation: boolean }, used: number[]): number | string {
  if (declared !== undefined) {
    if (table.tableSize && declared >= table.tableSize) return `location ${declared} is beyond the NIC's rule table (${table.tableSize} slots)`;
    if (used.includes(declared)) return `location ${declared} holds another rule`;
    return declared;
  }
  if (table.driverPicksLocation) return RX_CLS_LOC_ANY;
  for (let l = 0; l < table.tableSize; l++) if (!used.includes(l)) return l;
  return `the NIC's rule table is full (${table.tableSize} slots)`;
}

/** The locations of the NIC's rules (GRXCLSRLALL for `count` of them). */
export async function usedLocations(host: HostClient, nic: string, count: number): Promise<number[]> {
  if (!count) return [];
  const b = new RelayBatch({ readOnly: true });
  const i = b.add(`list the flow rules of ${nic} (ETHTOOL_GRXCLSRLALL)`, rxnfcOp(nic, ruleLocationsRequest(count)));
  const res = await host.run(b);
  const err = host.firstFailure(res, () => undefined);
  if (err) throw err;
  return parseRuleLocations(rxnfcOf(res.at(i))!);
}

/** Inserts `r` at `location` and reads it back in the same batch. */
export async function insertRule(host: HostClient, nic: string, r: FlowRule, location: number): Promise<InstalledRule> {
  const b = new RelayBatch();
  const ins = b.add(`insert the rule ${describeRule(nic, r)} (ETHTOOL_SRXCLSRLINS)`, rxnfcOp(nic, ruleInsertRequest(r, location)));
  const res = await host.run(b);
  const err = host.firstFailure(res, (e) =>
    e === "EINVAL"
      ? "the driver refuses this rule (the flow type, a field, or the queue); ethtool -n shows what it holds"
      : e === "EOPNOTSUPP"
        ? "the driver does not steer such flows (is ntuple on? ethtool -K NIC ntuple on)"
        : undefined,
  );
  if (err) throw err;
  const at = insertedLocation(rxnfcOf(res.at(ins))!);
  const back = await readRule(host, nic, at);
  if (!back) throw new NetkitError(`${host.host}: the kernel took the rule ${describeRule(nic, r)} at location ${at}, but ethtool -n does not show it there`);
  return back;
}

/** The rule at `location`, or undefined when the slot is empty. */
export async function readRule(host: HostClient, nic: string, location: number): Promise<InstalledRule | undefined> {
  const b = new RelayBatch({ readOnly: true });
  const i = b.add(`read flow rule ${location} of ${nic} (ETHTOOL_GRXCLSRULE)`, rxnfcOp(nic, ruleGetRequest(location)));
  const res = await host.run(b, false);
  // An empty slot, or no NIC of that name any more: no rule there.
  if (res.errno(i) === ENOENT || res.errno(i) === ENODEV) return undefined;
  const err = host.firstFailure(res, () => undefined);
  if (err) throw err;
  return parseRule(rxnfcOf(res.at(i))!);
}

/** Deletes the rule at `location` only if it is still `r`; says what it found otherwise. */
export async function deleteRule(host: HostClient, nic: string, r: FlowRule, location: number): Promise<{ outcome: "deleted" | "gone" } | { outcome: "foreign"; found: string }> {
  const now = await readRule(host, nic, location);
  if (!now) return { outcome: "gone" };
  if (!sameRule(now, r))
    return {
      outcome: "foreign",
      found: `location ${location} holds another rule now (${describeRule(nic, { ...now, queue: now.queue ?? -1 })}${now.other ? `, with ${now.other}` : ""})`,
    };
  const b = new RelayBatch();
  const del = b.add(`delete flow rule ${location} of ${nic} (ETHTOOL_SRXCLSRLDEL)`, rxnfcOp(nic, ruleDeleteRequest(location)));
  const res = await host.run(b);
  if (res.errno(del) === ENOENT) return { outcome: "gone" };
  const err = host.firstFailure(res, () => undefined);
  if (err) throw err;
  return { outcome: "deleted" };
}

export const ruleOf = (i: Partial<Inputs>): FlowRule => defined({ flowType: i.flowType!, srcIp: i.srcIp, dstIp: i.dstIp, srcPort: i.srcPort, dstPort: i.dstPort, queue: i.queue! });

/** Why the NIC cannot take the rule (a CapabilityError where it has no flow steering), by field; none: it can. */
export function refusal(host: string, i: Partial<Inputs>, s: NicSurvey): { field: string; error: Error } | undefined {
  if (!s.link) return { field: "nic", error: new NetkitError(`${host}: NIC ${i.nic} does not exist in the host's network namespace`) };
  if (!s.link.parentDevice || s.link.kind === "netkit") return { field: "nic", error: new NetkitError(`${host}: ${i.nic} is a virtual device: flow rules are a physical NIC's`) };
  const r = s.rules;
  if (!r || "missing" in r) {
    const why = r && "missing" in r ? `${r.missing.op} answered ${r.missing.errno}` : "no answer";
    return {
      field: "flowType",
      error: new CapabilityError(`${host}: NIC ${i.nic} has no flow steering rules (${why}: its driver implements no ntuple filters); FlowRule needs them`),
    };
  }
  const queues = s.channels && "ok" in s.channels ? (s.channels.ok.combined?.count ?? 0) + (s.channels.ok.rx?.count ?? 0) : s.rxQueues.length;
  if (queues && i.queue !== undefined && i.queue >= queues)
    return { field: "queue", error: new NetkitError(`${host}: ${i.nic} has ${queues} RX queues (0 … ${queues - 1}): queue ${i.queue} is out of range`) };
  return undefined;
}
