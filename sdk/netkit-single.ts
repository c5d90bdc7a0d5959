import * as pulumi from "@pulumi/pulumi";
import { type netkitSingleDefinition } from "../provider/resources/netkit-single/definition";
import { deleteFirst, dynamicResource, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NetkitSingleArgs = ArgsOf<typeof netkitSingleDefinition>;

/** A single netkit device (no peer; Linux 7.1+); see docs/reference/NetkitSingle.md. */
// The interface declares the outputs the engine sets on the class (it declares no typed properties of its own).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface NetkitSingle extends OutputPropsOf<typeof netkitSingleDefinition> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NetkitSingle extends pulumi.CustomResource {
  constructor(name: string, args: NetkitSingleArgs, opts?: pulumi.CustomResourceOptions) {
    const r = dynamicResource("NetkitSingle", args, { name, opts });
    super(r.type, name, r.props, withSecrets(deleteFirst(opts)));
  }
}
