// Every resource, in the order docs and schema.json list them: its definition and the name
// under which the provider exports its controller (provider/index.ts). The SDK's classes, the
// provider plugin and schema generation all read this list. Adding a resource means its
// folder (definition, controller, host), a line here, and its SDK class.
//
// Only definitions are imported here, so the SDK (in the user's program) loads no controller
// code; the serialized shims load a controller by its export name inside the provider process,
// which is why those names never change (they are stored in every stack's state).
import type { ResourceDefinition } from "../definition/resource";
import { netkitPairDefinition } from "./netkit-pair/definition";
import { netkitSingleDefinition } from "./netkit-single/definition";
import { rxqBindingDefinition } from "./rxq-binding/definition";
import { nicQueuesDefinition } from "./nic-queues/definition";
import { queueNapiDefinition } from "./queue-napi/definition";
import { flowRuleDefinition } from "./flow-rule/definition";

export interface RegisteredResource {
  definition: ResourceDefinition;
  /** The controller's export name in provider/index.ts. */
  controller: "netkitPairProvider" | "netkitSingleProvider" | "rxqBindingProvider" | "nicQueuesProvider" | "queueNapiProvider" | "flowRuleProvider";
}

export const resources: readonly RegisteredResource[] = [
  { definition: netkitPairDefinition, controller: "netkitPairProvider" },
  { definition: netkitSingleDefinition, controller: "netkitSingleProvider" },
  { definition: rxqBindingDefinition, controller: "rxqBindingProvider" },
  { definition: nicQueuesDefinition, controller: "nicQueuesProvider" },
  { definition: queueNapiDefinition, controller: "queueNapiProvider" },
  { definition: flowRuleDefinition, controller: "flowRuleProvider" },
];

export const allDefinitions: ResourceDefinition[] = resources.map((r) => r.definition);

/** The registered resource of a type name ("NetkitPair"). */
export function registered(name: string): RegisteredResource {
  const r = resources.find((x) => x.definition.name === name);
  if (!r) throw new Error(`no resource ${name} is registered`);
  return r;
}
