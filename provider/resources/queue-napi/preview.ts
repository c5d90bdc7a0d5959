// What a preview asks the host about a QueueNapi (resources/host-checks.ts): the NIC, that it
// is up, the queue and its NAPI instance (queue-get's napi-id).
import type { InputsOf } from "../../definition/resource";
import { isNew, type HostCheckPlan } from "../host-checks";
import type { queueNapiDefinition } from "./definition";
import { readQueue, whyNot } from "./host";

type Inputs = InputsOf<typeof queueNapiDefinition>;

export const previewPlan: HostCheckPlan<Inputs> = async ({ host, facts, inputs: i, olds }) => {
  if (i.nic === undefined || i.queue === undefined || !isNew(olds, i, "nic", "queue")) return [];
  const why = whyNot(host.host, { nic: i.nic, queue: i.queue }, await readQueue(host, facts, i.nic, i.queue));
  return why ? [{ property: /queue \d+ is out of range|no NAPI/.test(why) ? "queue" : "nic", reason: why }] : [];
};
