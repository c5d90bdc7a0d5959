import * as pulumi from "@pulumi/pulumi";
import { netkitSingleDefinition } from "../provider/resources/netkit-single/definition";
import { controller, dynamicProps, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NetkitSingleArgs = ArgsOf<typeof netkitSingleDefinition>;

/** A single netkit device (no peer; Linux 7.1+); see README's field table. */
export interface NetkitSingle extends OutputPropsOf<typeof netkitSingleDefinition> {}
export class NetkitSingle extends pulumi.dynamic.Resource {
  constructor(name: string, args: NetkitSingleArgs, opts?: pulumi.CustomResourceOptions) {
    super(controller("netkitSingleProvider"), name, dynamicProps(netkitSingleDefinition, args), withSecrets(opts), "netkit", "NetkitSingle");
  }
}
