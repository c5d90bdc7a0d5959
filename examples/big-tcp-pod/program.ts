// A pod's netkit pair with BIG TCP: GSO and GRO packets above 64 KiB on both sides (IPv6,
// and IPv4 from Linux 6.3), a jumbo MTU, an alias and a device group to find the pod's
// devices by (`ip link show group 10`). Every one of these changes in place, and so do the
// names and the peer's netns: a rename or a move keeps the devices (same ifindex, leases).
import { NetkitPair, type ConnectionArgs } from "pulumi-netkit";

export interface BigTcpPodArgs {
  connection: ConnectionArgs;
  /** The pod's netns: a name from `ip netns` or /proc/<pid>/ns/net. */
  netns: string;
  /** The largest GSO/GRO packet, in bytes: 65536 is the kernel's default, up to 524280 (netkit's limit). */
  bigTcp?: number;
  /** Name of the primary in the host's netns; a change renames it in place. */
  name?: string;
}

export function bigTcpPod(args: BigTcpPodArgs) {
  const size = args.bigTcp ?? 196608; // 192 KiB
  const pod = new NetkitPair("pod", {
    connection: args.connection,
    name: args.name ?? "nk-big0",
    peerName: "eth0",
    peerNetns: args.netns,
    mode: "l3",
    mtu: 9000,
    peerMtu: 9000,
    // The host side builds and accepts big packets for the pod …
    gsoMaxSize: size,
    groMaxSize: size,
    gsoIpv4MaxSize: size,
    groIpv4MaxSize: size,
    // … and so does the pod's side.
    peerGsoMaxSize: size,
    peerGroMaxSize: size,
    peerGsoIpv4MaxSize: size,
    peerGroIpv4MaxSize: size,
    alias: `pod ${args.netns}`,
    peerAlias: "pod uplink",
    group: 10,
  });
  return { ifindex: pod.ifindex, peerIfindex: pod.peerIfindex, gsoMaxSize: pod.gsoMaxSize, peerGroMaxSize: pod.peerGroMaxSize };
}
