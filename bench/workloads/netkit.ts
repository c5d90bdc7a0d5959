// The subject: N NetkitPairs (peers in the bench netns) through this package's SDK and its
// dynamic provider, the way a user's program declares them: README's way, the connection to
// the host in stack config (netkit:host, netkit:hostKey, secret netkit:privateKey), not in
// every resource. (A connection in a resource, to manage several hosts from one stack, is
// stored in that resource's state, twice: the several-host run measures that layout.)
import { NetkitPair } from "../../sdk";
import { engineInstance } from "../engine";
import { connectionConfig } from "../../harness/yaml";
import { PEER_NETNS } from "../host";
import { pairNames, type Workload } from "./workload";

export const netkitWorkload: Workload = {
  key: "netkit",
  label: "pulumi-netkit (NetkitPair, dynamic provider)",
  prefix: "nka",
  resourceType: ":NetkitPair",
  start: (host, n) =>
    engineInstance(
      "bench-netkit",
      n,
      async () => {
        for (let i = 0; i < n; i++) new NetkitPair(`pair${i}`, { ...pairNames("nka", i), peerNetns: PEER_NETNS });
      },
      { config: connectionConfig(host.host) },
    ),
};
