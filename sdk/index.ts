// pulumi-netkit: the SDK's public surface.
export { NetkitPair, type NetkitPairArgs } from "./netkit-pair";
export { NetkitSingle, type NetkitSingleArgs } from "./netkit-single";
export { RxqBinding, type RxqBindingArgs } from "./rxq-binding";
export { NicQueues, type NicQueuesArgs } from "./nic-queues";
export { QueueNapi, type QueueNapiArgs } from "./queue-napi";
export { FlowRule, type FlowRuleArgs } from "./flow-rule";
export type * from "./types";
import type { Connection } from "./types";
import type { DeepInput } from "./resource";
/** A connection as a resource takes it (the same as Connection). */
export type ConnectionInput = Connection;
/** A connection whose members may be Inputs, e.g. a private key from secret config. */
export type ConnectionArgs = DeepInput<Connection>;
