// pulumi-netkit: the SDK's public surface.
export { NetkitPair, type NetkitPairArgs } from "./netkit-pair";
export { NetkitSingle, type NetkitSingleArgs } from "./netkit-single";
export { RxqBinding, type RxqBindingArgs } from "./rxq-binding";
export type { ConnectionInput } from "../provider/connection";
import type { ConnectionInput } from "../provider/connection";
import type { DeepInput } from "./resource";
/** A connection whose members may be Inputs, e.g. a private key from secret config. */
export type ConnectionArgs = DeepInput<ConnectionInput>;
