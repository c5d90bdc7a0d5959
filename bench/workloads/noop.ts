// Baseline (c), the engine's own floor: N dynamic resources whose provider does nothing.
// They go through the same provider shim as the SDK's resources, so the program, the
// serialized provider and the provider process cost what they cost for NetkitPair.
import * as pulumi from "@pulumi/pulumi";
import { providerShim } from "../../sdk/provider-shim";
import { engineInstance } from "../engine";
import type { Workload } from "./workload";

class NoOp extends pulumi.dynamic.Resource {
  constructor(name: string, index: number) {
    super(providerShim("pulumi-netkit/dist/bench/workloads/noop-provider", "noopProvider"), name, { index }, {}, "bench", "NoOp");
  }
}

export const noopWorkload: Workload = {
  key: "noop",
  label: "(c) no-op dynamic resources (engine floor)",
  start: (_host, n) =>
    engineInstance("bench-noop", n, async () => {
      for (let i = 0; i < n; i++) new NoOp(`noop${i}`, i);
    }),
};
