import * as pulumi from "@pulumi/pulumi";
import { netkitSingleSpec } from "../provider/resources/netkit-single.spec";
import { controller, dynamicProps, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NetkitSingleArgs = ArgsOf<typeof netkitSingleSpec>;

/** A single netkit device (no peer; Linux 7.1+); see README's field table. */
export interface NetkitSingle extends OutputPropsOf<typeof netkitSingleSpec> {}
export class NetkitSingle extends pulumi.dynamic.Resource {
  constructor(name: string, args: NetkitSingleArgs, opts?: pulumi.CustomResourceOptions) {
    super(controller("netkitSingleProvider"), name, dynamicProps(netkitSingleSpec, args), withSecrets(opts), "netkit", "NetkitSingle");
  }
}
