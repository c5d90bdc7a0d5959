import * as pulumi from "@pulumi/pulumi";
import { dynamicType, providerModule } from "../../sdk/provider-shim";
import type { ConnectionInput } from "../../provider/connection";

export interface MarkerArgs {
  connection: pulumi.Input<ConnectionInput>;
  path: pulumi.Input<string>;
  content: pulumi.Input<string>;
}

/** Test-only resource: one file on a host, written over SSH. */
export class Marker extends pulumi.CustomResource {
  declare readonly content: pulumi.Output<string>;
  constructor(name: string, args: MarkerArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dynamicType("netkit-test", "Marker"),
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        content: args.content,
        __provider: providerModule("pulumi-netkit/dist/test/support/marker-provider", "markerProvider"),
      },
      opts,
    );
  }
}
