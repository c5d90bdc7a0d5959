// The provider's public surface: resource controllers (what the serialized shims load by
// name: see resources/registry.ts), their definitions, and the error classes users may want
// to match on.
export { netkitPairProvider } from "./resources/netkit-pair/controller";
export { netkitSingleProvider } from "./resources/netkit-single/controller";
export { rxqBindingProvider } from "./resources/rxq-binding/controller";
export { netkitPairDefinition } from "./resources/netkit-pair/definition";
export { netkitSingleDefinition } from "./resources/netkit-single/definition";
export { rxqBindingDefinition } from "./resources/rxq-binding/definition";
export { resources } from "./resources/registry";
export { connectionSchema, type ConnectionInput } from "./connection";
export { NetkitError, SshError, NetlinkError, CapabilityError, RemoteCommandError, FailedToInitializeError, ProviderBugError } from "./errors";
