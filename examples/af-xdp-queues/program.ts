// An AF_XDP-style pod: a netkit pair carries the pod's ordinary traffic (primary in the
// host's netns, peer eth0 in the pod's), and a single netkit device inside the pod takes RX
// queues leased from a physical NIC, for an AF_XDP socket (or io_uring zero-copy) that the
// pod's workload binds to the device's queues 1, 2, ….
import { NetkitPair, NetkitSingle, type ConnectionArgs } from "pulumi-netkit";

export interface AfXdpQueuesArgs {
  connection: ConnectionArgs;
  /** The pod's netns: a name from `ip netns` or /proc/<pid>/ns/net. */
  netns: string;
  /** The physical NIC (host netns) lending the queues; its driver needs queue management ops. */
  nic: string;
  /**
   * The NIC's RX queues to lease. They become the device's queues 1, 2, … in this order
   * (`xskQueues`). The kernel cannot release one lease: changing the list replaces the device.
   */
  queues: number[];
  /** Headroom of the XDP device (create-only: a change replaces it, and re-leases its queues). */
  headroom?: number;
}

export function afXdpQueues(args: AfXdpQueuesArgs) {
  const pod = new NetkitPair("pod", {
    connection: args.connection,
    name: "nk-pod",
    peerName: "eth0",
    peerNetns: args.netns,
    mode: "l3",
  });
  // The leases are the device's: its RX queue capacity is made 1 (its own) + the leases, and
  // they end with it (destroy, or a replacement, releases them).
  const xsk = new NetkitSingle("xsk", {
    connection: args.connection,
    name: "nk-xsk",
    netns: args.netns,
    mode: "l2",
    leases: args.queues.map((queue) => ({ nic: args.nic, queue })),
    ...(args.headroom !== undefined ? { headroom: args.headroom } : {}),
  });
  return {
    podIfindex: pod.peerIfindex,
    xskIfindex: xsk.ifindex,
    xskQueues: xsk.leaseQueueIds,
  };
}
