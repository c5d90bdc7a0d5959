// The provider's public surface: resource controllers (what the serialized shims load by
// name: see resources/registry.ts), their definitions, and the error classes users may want
// to match on.
export { netkitPairProvider } from "./resources/netkit-pair/controller";
export { netkitSingleProvider } from "./resources/netkit-single/controller";
export { rxqBindingProvider } from "./resources/rxq-binding/controller";
export { nicQueuesProvider } from "./resources/nic-queues/controller";
export { queueNapiProvider } from "./resources/queue-napi/controller";
export { flowRuleProvider } from "./resources/flow-rule/controller";
export { netkitPairDefinition } from "./resources/netkit-pair/definition";
export { netkitSingleDefinition } from "./resources/netkit-single/definition";
export { rxqBindingDefinition } from "./resources/rxq-binding/definition";
export { nicQueuesDefinition } from "./resources/nic-queues/definition";
export { queueNapiDefinition } from "./resources/queue-napi/definition";
export { flowRuleDefinition } from "./resources/flow-rule/definition";
export { resources } from "./resources/registry";
export { connectionSchema, type ConnectionInput } from "./connection";
export { NetkitError, SshError, NetlinkError, CapabilityError, RemoteCommandError, FailedToInitializeError, ProviderBugError } from "./errors";
