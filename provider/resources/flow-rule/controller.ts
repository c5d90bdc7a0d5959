// FlowRule's CRUD flow: probe the NIC's flow steering, pick a location, insert the rule and
// read it back; refresh reads the rule at its location; delete removes it only while it is
// still the rule the state recorded. Take `nic` from a NicQueues output: the rule then goes
// after the channels it steers to, and before they shrink back.
import type * as pulumi from "@pulumi/pulumi";
import { inputKeys, type InputsOf, type OutputsOf } from "../../definition/resource";
import { NetkitError } from "../../errors";
import { definitionDriven } from "../definition-driven";
import { defined, observedInputs, withDeclared } from "../declared";
import { requireSameHost } from "../host-identity";
import { connectionOf, hostFor, providerLog } from "../hosts";
import { requireFeatures } from "../kernel-needs";
import { flowRuleDefinition as definition } from "./definition";
import { chooseLocation, deleteRule, describeRule, insertRule, readRule, refusal, ruleOf, sameRule, usedLocations } from "./host";
import { ethtoolDevice, surveyNic, type NicSurvey } from "../../host/nic";
import type { HostClient } from "../../host/client";
import type { HostFacts } from "../../host/preflight";
import type { InstalledRule } from "../../netlink/flow-rules";
import { previewPlan } from "./preview";

type Inputs = InputsOf<typeof definition>;
type Outputs = OutputsOf<typeof definition>;

async function survey(host: HostClient, facts: HostFacts, i: Partial<Inputs>): Promise<NicSurvey> {
  return surveyNic(host, facts, ethtoolDevice(i.nic!), { rules: true });
}

function outputs(i: Inputs, nicIfindex: number, r: InstalledRule): Outputs {
  return defined({
    ...i,
    flowType: r.flowType,
    srcIp: r.srcIp,
    dstIp: r.dstIp,
    srcPort: r.srcPort,
    dstPort: r.dstPort,
    queue: r.queue ?? i.queue,
    nicIfindex,
    ruleLocation: r.location,
  });
}

const id = (i: Pick<Inputs, "connection" | "nic">, location: number) => {
  const c = connectionOf(i.connection);
  return `${c.host}:${c.port}/${i.nic}/rule-${location}`;
};

export const flowRuleProvider: pulumi.dynamic.ResourceProvider<Inputs, Outputs> = {
  ...definitionDriven(definition, previewPlan),

  async create(i) {
    const host = await hostFor(i.connection);
    const facts = await requireFeatures(host, definition, i);
    const s = await survey(host, facts, i);
    const no = refusal(host.host, i, s);
    if (no) throw no.error;
    const table = "ok" in s.rules! ? s.rules.ok : { count: 0, tableSize: 0, driverPicksLocation: true };
    const used = table.driverPicksLocation && i.location === undefined ? [] : await usedLocations(host, i.nic, table.count);
    const at = chooseLocation(i.location, table, used);
    if (typeof at === "string") throw new NetkitError(`${host.host}: cannot insert ${describeRule(i.nic, ruleOf(i))}: ${at}`);
    const r = await insertRule(host, i.nic, ruleOf(i), at);
    if (!sameRule(r, ruleOf(i)))
      throw new NetkitError(`${host.host}: ${i.nic} holds the rule at ${r.location} as ${describeRule(i.nic, { ...r, queue: r.queue ?? -1 })}, not as asked`);
    return { id: id(i, r.location), outs: withDeclared(inputKeys(definition), i, outputs(i, s.link!.ifindex, r)) };
  },

  async read(rid, props) {
    if (!props?.nic) throw new NetkitError(`import id "${rid}": FlowRule cannot be imported; declare it (a rule is identified by its flow and queue, and create finds it a slot)`);
    requireSameHost(definition.name, rid, props.connection);
    const host = await hostFor(props.connection);
    const r = await readRule(host, props.nic, props.ruleLocation);
    if (!r) {
      providerLog.info(`${rid}: ${props.nic} has no rule at ${props.ruleLocation} now`);
      return { id: "", props: {} as Outputs };
    }
    if (!sameRule(r, ruleOf(props))) providerLog.warn(`${rid}: ${props.nic}'s rule at ${props.ruleLocation} is ${describeRule(props.nic, { ...r, queue: r.queue ?? -1 })} now`);
    const outs = withDeclared(inputKeys(definition), props, outputs(props, props.nicIfindex, r));
    return { id: rid, props: outs, inputs: observedInputs(inputKeys(definition), outs) };
  },

  /** Only the connection's credentials change in place: re-read with them. */
  async update(rid, olds, news) {
    requireSameHost(definition.name, rid, news.connection);
    const host = await hostFor(news.connection);
    const r = await readRule(host, news.nic, olds.ruleLocation);
    if (!r || !sameRule(r, ruleOf(news))) throw new NetkitError(`${host.host}: ${news.nic}'s rule at ${olds.ruleLocation} is not this resource's now: run \`pulumi refresh\``);
    return { outs: withDeclared(inputKeys(definition), news, outputs(news, olds.nicIfindex, r)) };
  },

  async delete(rid, props) {
    requireSameHost(definition.name, rid, props.connection);
    const host = await hostFor(props.connection);
    const done = await deleteRule(host, props.nic, ruleOf(props), props.ruleLocation);
    if (done.outcome === "gone") providerLog.warn(`${rid} was already gone`);
    if (done.outcome === "foreign") providerLog.warn(`${rid}: ${done.found}; left it alone`);
  },
};
