// Baseline (c), the engine's own floor: N dynamic resources whose provider does nothing.
// They are declared as the SDK's resources are (a CustomResource of a dynamic type token with
// the same kind of provider module), so the program, the stored provider and the provider
// process cost what they cost for NetkitPair.
import * as pulumi from "@pulumi/pulumi";
import { dynamicType, providerModule } from "../../sdk/provider-shim";
import { engineInstance } from "../engine";
import type { Workload } from "./workload";

class NoOp extends pulumi.CustomResource {
  constructor(name: string, index: number) {
    super(dynamicType("bench", "NoOp"), name, { index, __provider: providerModule("pulumi-netkit/dist/bench/workloads/noop-provider", "noopProvider") });
  }
}

export const noopWorkload: Workload = {
  key: "noop",
  label: "(c) no-op dynamic resources (engine floor)",
  resourceType: ":NoOp",
  start: (_host, n) =>
    engineInstance("bench-noop", n, async () => {
      for (let i = 0; i < n; i++) new NoOp(`noop${i}`, i);
    }),
};
