"""An AF_XDP-style pod in Python: a netkit pair carries the pod's ordinary traffic (primary in
the host's netns, peer eth0 in the pod's), and a single netkit device inside the pod takes an
RX queue leased from a physical NIC (Linux 7.1+)."""

import pulumi
import pulumi_netkit as netkit

config = pulumi.Config()
netns = config.require("netns")

# mtu changes in place; mode is fixed at creation (a change replaces the pair).
pod = netkit.NetkitPair(
    "pod",
    name="nk-pod",
    peer_name="eth0",
    peer_netns=netns,
    mode=config.require("mode"),
    mtu=config.require_int("mtu"),
    peer_mtu=config.require_int("mtu"),
)

# Queue 0 is the device's own; numRxQueues 2 leaves room for one lease.
xsk = netkit.NetkitSingle("xsk", name="nk-xsk", netns=netns, mode="l2", num_rx_queues=2)

# The lease, for the device of this ifindex (a new device means a new lease); it ends with the
# device, so it goes when the device goes.
rxq = netkit.RxqBinding(
    "rxq",
    device_name=xsk.name,
    netns=xsk.netns,
    device_ifindex=xsk.ifindex,
    nic=config.require("nic"),
    nic_queue=config.require_int("nicQueue"),
    opts=pulumi.ResourceOptions(deleted_with=xsk),
)

pulumi.export("podIfindex", pod.ifindex)
pulumi.export("peerIfindex", pod.peer_ifindex)
pulumi.export("xskIfindex", xsk.ifindex)
pulumi.export("queueId", rxq.queue_id)
