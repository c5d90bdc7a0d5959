import * as pulumi from "@pulumi/pulumi";
import type { FlowRuleInputs, FlowRuleOutputs } from "./types";
import { deleteFirst, dynamicResource, stackTracesOff, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

export type FlowRuleArgs = ArgsOf<FlowRuleInputs>;

/**
 * A flow steering rule of a physical NIC (`ethtool -N … action QUEUE`); see
 * docs/reference/FlowRule.md. Delete-first by default: a declared location holds one rule.
 */
// The interface declares the outputs the engine sets on the class (it declares no typed properties of its own).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface FlowRule extends OutputPropsOf<FlowRuleOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class FlowRule extends pulumi.CustomResource {
  constructor(name: string, args: FlowRuleArgs, opts?: pulumi.CustomResourceOptions) {
    const limit = stackTracesOff();
    try {
      const r = dynamicResource("FlowRule", args, { name, opts });
      super(r.type, name, r.props, withSecrets(deleteFirst(opts)));
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
