// pulumi-netkit: the SDK's public surface.
export { NetkitPair, type NetkitPairArgs } from "./netkit-pair";
export { NetkitSingle, type NetkitSingleArgs } from "./netkit-single";
export type { ConnectionInput } from "../provider/ssh/connection";
