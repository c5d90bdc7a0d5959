import * as pulumi from "@pulumi/pulumi";
import { netkitPairSpec } from "../provider/resources/netkit-pair.spec";
import { controller, dynamicProps, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NetkitPairArgs = ArgsOf<typeof netkitPairSpec>;

/** A netkit device pair; see README's field table. `ip link add NAME type netkit … peer name PEER netns NS`. */
export interface NetkitPair extends OutputPropsOf<typeof netkitPairSpec> {}
export class NetkitPair extends pulumi.dynamic.Resource {
  constructor(name: string, args: NetkitPairArgs, opts?: pulumi.CustomResourceOptions) {
    super(controller("netkitPairProvider"), name, dynamicProps(netkitPairSpec, args), withSecrets(opts), "netkit", "NetkitPair");
  }
}
