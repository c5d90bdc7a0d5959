// Baseline (c′), the engine's floor at NetkitPair's size: N no-op dynamic resources that hold
// what the benchmark's NetkitPair holds in state (the same inputs, the connection in stack
// config as there, and outputs of the same fields), so that the engine's per-byte costs (it rewrites the whole
// checkpoint at the start and end of every step) are the same as for (netkit) and only the
// provider's and the host's work is missing. netkit − (c′) is what the provider and the host
// add; (c′) − (c) is what the engine pays for the bytes.
import * as pulumi from "@pulumi/pulumi";
import { dynamicType, providerModule } from "../../sdk/provider-shim";
import { engineInstance } from "../engine";
import { PEER_NETNS } from "../host";
import { connectionConfig } from "../../harness/yaml";
import { pairNames, type Workload } from "./workload";

class NoOpPair extends pulumi.CustomResource {
  constructor(name: string, index: number, inputs: Record<string, unknown>) {
    super(
      dynamicType("bench", "NoOpPair"),
      name,
      { index, ...inputs, __provider: providerModule("pulumi-netkit/dist/bench/workloads/noop-provider", "noopPairProvider") },
      { additionalSecretOutputs: ["connection"] },
    );
  }
}

export const noopStateWorkload: Workload = {
  key: "noop-state",
  label: "(c′) no-op dynamic resources holding a NetkitPair's state (engine floor at NetkitPair's size)",
  resourceType: ":NoOpPair",
  start: (host, n) =>
    engineInstance(
      "bench-noop-state",
      n,
      async () => {
        for (let i = 0; i < n; i++) {
          const names = pairNames("nkc", i);
          new NoOpPair(`pair${i}`, i, {
            ...names,
            peerNetns: PEER_NETNS,
            mode: "l3",
            policy: "forward",
            peerPolicy: "forward",
            scrub: "default",
            peerScrub: "default",
            up: true,
            peerUp: true,
            __urn: pulumi.createUrn(`pair${i}`, dynamicType("netkit", "NetkitPair")),
          });
        }
      },
      { config: connectionConfig(host.host) },
    ),
};
