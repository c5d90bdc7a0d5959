// An AF_XDP-style pod: a netkit pair carries the pod's ordinary traffic (primary in the
// host's netns, peer eth0 in the pod's), and a single netkit device inside the pod receives
// two RX queues leased from a physical NIC, for an AF_XDP socket (or io_uring zero-copy)
// that the pod's workload binds to the device's queues 1 and 2.
import { NetkitPair, NetkitSingle, RxqBinding, type ConnectionArgs } from "pulumi-netkit";

export interface AfXdpQueuesArgs {
  connection: ConnectionArgs;
  /** The pod's netns: a name from `ip netns` or /proc/<pid>/ns/net. */
  netns: string;
  /** The physical NIC (host netns) lending the queues; its driver needs queue management ops. */
  nic: string;
  /**
   * The NIC's RX queues to lease. Each becomes one of the device's queues 1, 2, …; the
   * bindings are created in parallel, so read the mapping from `xskQueues` (same order).
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
  const xsk = new NetkitSingle("xsk", {
    connection: args.connection,
    name: "nk-xsk",
    netns: args.netns,
    mode: "l2",
    // Queue 0 is the device's own; one more per lease (here: room for two).
    numRxQueues: 3,
    ...(args.headroom !== undefined ? { headroom: args.headroom } : {}),
  });
  // `device` takes name, netns, ifindex and connection from the device and makes each lease
  // deletedWith it: destroying the pod removes the device, which is what ends its leases.
  const leases = args.queues.map((q) => new RxqBinding(`rxq-${q}`, { device: xsk, nic: args.nic, nicQueue: q }));
  return {
    podIfindex: pod.peerIfindex,
    xskIfindex: xsk.ifindex,
    xskQueues: leases.map((l) => l.queueId),
    hostNetnsId: leases[0]?.hostNetnsId,
  };
}
