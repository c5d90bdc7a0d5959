import * as pulumi from "@pulumi/pulumi";
import type { NicQueuesInputs, NicQueuesOutputs } from "./types";
import { deleteFirst, dynamicResource, stackTracesOff, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type NicQueuesArgs = ArgsOf<NicQueuesInputs>;

/**
 * The queue layout of a physical NIC (channels, RX ring, header split, RSS spread); see
 * docs/reference/NicQueues.md. A replacement restores the old resource's `previous` before the
 * new one records it again, so it is delete-first by default (deleteBeforeReplace).
 */
// The interface declares the outputs the engine sets on the class (it declares no typed properties of its own).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface NicQueues extends OutputPropsOf<NicQueuesOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class NicQueues extends pulumi.CustomResource {
  constructor(name: string, args: NicQueuesArgs, opts?: pulumi.CustomResourceOptions) {
    const limit = stackTracesOff();
    try {
      const r = dynamicResource("NicQueues", args, { name, opts });
      super(r.type, name, r.props, withSecrets(deleteFirst(opts)));
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
