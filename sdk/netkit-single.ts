import * as pulumi from "@pulumi/pulumi";
import type { NetkitSingleInputs, NetkitSingleOutputs } from "./types";
import { deleteFirst, dynamicResource, stackTracesOff, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NetkitSingleArgs = ArgsOf<NetkitSingleInputs>;

/** A single netkit device (no peer; Linux 7.1+); see docs/reference/NetkitSingle.md. */
// The interface declares the outputs the engine sets on the class (it declares no typed properties of its own).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface NetkitSingle extends OutputPropsOf<NetkitSingleOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NetkitSingle extends pulumi.CustomResource {
  constructor(name: string, args: NetkitSingleArgs, opts?: pulumi.CustomResourceOptions) {
    const limit = stackTracesOff();
    try {
      const r = dynamicResource("NetkitSingle", args, { name, opts });
      super(r.type, name, r.props, withSecrets(deleteFirst(opts)));
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
