// The provider's public surface: resource controllers (what the serialized shims load by
// name), their specs, and the error classes users may want to match on.
export { netkitPairProvider } from "./resources/netkit-pair";
export { netkitSingleProvider } from "./resources/netkit-single";
export { rxqBindingProvider } from "./resources/rxq-binding";
export { netkitPairSpec } from "./resources/netkit-pair.spec";
export { netkitSingleSpec } from "./resources/netkit-single.spec";
export { rxqBindingSpec } from "./resources/rxq-binding.spec";
export { connectionSchema, type ConnectionInput } from "./ssh/connection";
export { NetkitError, SshError, NetlinkError, CapabilityError, RemoteCommandError } from "./errors";
