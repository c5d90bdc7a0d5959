// The subject: N NetkitPairs (peers in the bench netns) through this package's SDK and its
// dynamic provider, the way a user's program declares them.
import { NetkitPair } from "../../sdk";
import { engineInstance } from "../engine";
import { connectionTo, PEER_NETNS } from "../host";
import { pairNames, type Workload } from "./workload";

export const netkitWorkload: Workload = {
  key: "netkit",
  label: "pulumi-netkit (NetkitPair, dynamic provider)",
  prefix: "nka",
  resourceType: ":NetkitPair",
  start: (host, n) =>
    engineInstance("bench-netkit", n, async () => {
      const connection = connectionTo(host.host);
      for (let i = 0; i < n; i++) new NetkitPair(`pair${i}`, { connection, ...pairNames("nka", i), peerNetns: PEER_NETNS });
    }),
};
