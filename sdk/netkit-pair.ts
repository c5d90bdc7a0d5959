import * as pulumi from "@pulumi/pulumi";
import { type netkitPairDefinition } from "../provider/resources/netkit-pair/definition";
import { dynamicResource, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NetkitPairArgs = ArgsOf<typeof netkitPairDefinition>;

/** A netkit device pair; see README's field table. `ip link add NAME type netkit … peer name PEER netns NS`. */
export interface NetkitPair extends OutputPropsOf<typeof netkitPairDefinition> {}
export class NetkitPair extends pulumi.dynamic.Resource {
  constructor(name: string, args: NetkitPairArgs, opts?: pulumi.CustomResourceOptions) {
    const r = dynamicResource("NetkitPair", args);
    super(r.provider, name, r.props, withSecrets(opts), "netkit", "NetkitPair");
  }
}
