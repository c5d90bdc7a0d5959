// A zero-copy pod, everything the host needs before one byte arrives in it (the sequence of
// the kernel's own io_uring zero-copy test through a netkit lease, declared as one unit):
//  1. the NIC: TCP header/data split on with threshold 0 (io_uring zero-copy receive and devmem
//     need it), a smaller RX ring, and RSS kept off the leased queue (`equal N`: RSS spreads
//     over queues 0 … N-1, N being the leased queue);
//  2. a flow rule steering the pod's flow to that queue;
//  3. a single netkit device in the pod's netns holding the lease (the consumer binds to its
//     queue 1), with the NAPI settings of the NIC queue behind it;
//  4. a netkit pair for the pod's ordinary traffic.
// Everything that leases or steers takes the NIC's name from the NicQueues output, so the engine
// applies the NIC settings first and restores them last, after the lease has ended.
import { FlowRule, NetkitPair, NetkitSingle, NicQueues, QueueNapi, type ConnectionArgs } from "pulumi-netkit";

export interface ZeroCopyPodArgs {
  connection: ConnectionArgs;
  /** The pod's netns: a name from `ip netns` or /proc/<pid>/ns/net. */
  netns: string;
  /** The physical NIC (host netns); leasing needs a driver with queue management ops. */
  nic: string;
  /** The NIC RX queue to lease; RSS is kept to the queues below it (when `rss`). */
  queue: number;
  /** RX ring size in descriptors (the kernel's test uses 64). */
  rxRing?: number;
  /** Take the queue out of RSS (`ethtool -X NIC equal QUEUE`); only on NICs with an RSS table. */
  rss?: boolean;
  /** Steer TCP over IPv6 to this destination port to the queue; only on NICs with flow rules (ntuple). */
  flowPort?: number;
  /** NAPI settings of the leased queue, for a consumer that busy-polls. */
  napi?: { deferHardIrqs?: number; groFlushTimeout?: number; irqSuspendTimeout?: number };
}

export function zeroCopyPod(args: ZeroCopyPodArgs) {
  const { connection, netns, queue } = args;
  const nic = new NicQueues("nic", {
    connection,
    nic: args.nic,
    rxRing: args.rxRing ?? 64,
    tcpDataSplit: "enabled",
    hdsThresh: 0,
    ...(args.rss ? { rssEqual: queue } : {}),
  });
  if (args.flowPort !== undefined) new FlowRule("flow", { connection, nic: nic.nic, flowType: "tcp6", dstPort: args.flowPort, queue });
  // The pod's own traffic: the primary stays in the host's netns, the peer is the pod's eth0.
  const pod = new NetkitPair("pod", { connection, name: "nk-pod", peerName: "eth0", peerNetns: netns });
  // The zero-copy device: the lease is its queue 1, where the pod's AF_XDP socket or io_uring
  // zero-copy receive binds; the lease ends with the device.
  const zc = new NetkitSingle("zc", { connection, name: "nk-zc", netns, mode: "l2", leases: [{ nic: nic.nic, queue }] });
  // After the lease (dependsOn), so that its outputs show the queue leased to nk-zc.
  const napi = new QueueNapi(
    "napi",
    {
      connection,
      nic: nic.nic,
      queue,
      deferHardIrqs: args.napi?.deferHardIrqs ?? 2,
      groFlushTimeout: args.napi?.groFlushTimeout ?? 200000,
      ...(args.napi?.irqSuspendTimeout !== undefined ? { irqSuspendTimeout: args.napi.irqSuspendTimeout } : {}),
    },
    { dependsOn: [zc] },
  );
  return {
    podIfindex: pod.peerIfindex,
    zcIfindex: zc.ifindex,
    /** The queue the consumer binds to on nk-zc. */
    zcQueue: zc.leaseQueueIds.apply((ids) => ids[0]),
    napiId: napi.napiId,
    /** Who uses the NIC queue now, as the kernel reports it (refreshed by `pulumi refresh`). */
    queueUsers: { leasedTo: napi.leaseDeviceIfindex, xsk: napi.xsk, ioUring: napi.ioUring },
    /** What the NIC had before: what `pulumi destroy` puts back. */
    nicBefore: nic.previous,
  };
}
