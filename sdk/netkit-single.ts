import * as pulumi from "@pulumi/pulumi";
import { type netkitSingleDefinition } from "../provider/resources/netkit-single/definition";
import { dynamicResource, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NetkitSingleArgs = ArgsOf<typeof netkitSingleDefinition>;

/** A single netkit device (no peer; Linux 7.1+); see README's field table. */
export interface NetkitSingle extends OutputPropsOf<typeof netkitSingleDefinition> {}
export class NetkitSingle extends pulumi.dynamic.Resource {
  constructor(name: string, args: NetkitSingleArgs, opts?: pulumi.CustomResourceOptions) {
    const r = dynamicResource("NetkitSingle", args);
    super(r.provider, name, r.props, withSecrets(opts), "netkit", "NetkitSingle");
  }
}
