// A pod-style netkit pair: primary in the host's netns, peer inside the pod's netns.
import { NetkitPair, type ConnectionArgs } from "pulumi-netkit";

export interface PairIntoNetnsArgs {
  connection: ConnectionArgs;
  /** The pod's netns: a name from `ip netns` or /proc/<pid>/ns/net. */
  netns: string;
  mtu?: number;
  headroom?: number;
  /**
   * A BPF program pinned in bpffs for the primary's hook (e.g. loaded with
   * `bpftool prog load policy.o /sys/fs/bpf/pod1-policy type tc`): the pod's policy.
   */
  programPin?: string;
}

export function pairIntoNetns(args: PairIntoNetnsArgs) {
  const pair = new NetkitPair("pod1", {
    connection: args.connection,
    name: "nk-pod1",
    peerName: "eth0",
    peerNetns: args.netns,
    mode: "l3",
    policy: "forward",
    peerPolicy: "forward",
    mtu: args.mtu ?? 1500,
    peerMtu: args.mtu ?? 1500,
    ...(args.headroom !== undefined ? { headroom: args.headroom } : {}),
    // The provider attaches it through a bpf link it pins, swaps it in place when the pin
    // changes, and shows a detached link as drift on refresh.
    ...(args.programPin !== undefined ? { programs: [{ pin: args.programPin }] } : {}),
  });
  return {
    ifindex: pair.ifindex,
    peerIfindex: pair.peerIfindex,
    peerNetnsId: pair.peerNetnsId,
    mtu: pair.mtu,
    macAddress: pair.macAddress,
    programIds: pair.programIds,
  };
}
