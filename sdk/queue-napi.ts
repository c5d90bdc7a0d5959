import * as pulumi from "@pulumi/pulumi";
import type { QueueNapiInputs, QueueNapiOutputs } from "./types";
import { deleteFirst, dynamicResource, stackTracesOff, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type QueueNapiArgs = ArgsOf<QueueNapiInputs>;

/**
 * The NAPI of one NIC RX queue: its settings, and who uses the queue; see
 * docs/reference/QueueNapi.md. Delete-first by default: a replacement restores the old NAPI
 * settings before the new resource records them.
 */
// The interface declares the outputs the engine sets on the class (it declares no typed properties of its own).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface QueueNapi extends OutputPropsOf<QueueNapiOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class QueueNapi extends pulumi.CustomResource {
  constructor(name: string, args: QueueNapiArgs, opts?: pulumi.CustomResourceOptions) {
    const limit = stackTracesOff();
    try {
      const r = dynamicResource("QueueNapi", args, { name, opts });
      super(r.type, name, r.props, withSecrets(deleteFirst(opts)));
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
