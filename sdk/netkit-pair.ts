import * as pulumi from "@pulumi/pulumi";
import type { NetkitPairInputs, NetkitPairOutputs } from "./types";
import { deleteFirst, dynamicResource, stackTracesOff, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NetkitPairArgs = ArgsOf<NetkitPairInputs>;

/** A netkit device pair; see docs/reference/NetkitPair.md. `ip link add NAME type netkit … peer name PEER netns NS`. */
// The interface declares the outputs the engine sets on the class (it declares no typed properties of its own).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface NetkitPair extends OutputPropsOf<NetkitPairOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NetkitPair extends pulumi.CustomResource {
  constructor(name: string, args: NetkitPairArgs, opts?: pulumi.CustomResourceOptions) {
    const limit = stackTracesOff();
    try {
      const r = dynamicResource("NetkitPair", args, { name, opts });
      super(r.type, name, r.props, withSecrets(deleteFirst(opts)));
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
