// An AF_XDP-style pod in Go: a netkit pair carries the pod's ordinary traffic (primary in the
// host's netns, peer eth0 in the pod's), and a single netkit device inside the pod takes an RX
// queue leased from a physical NIC (Linux 7.1+).
package main

import (
	"github.com/pulumi-netkit/pulumi-netkit/sdk/go/netkit"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		netns := cfg.Require("netns")

		// mtu changes in place; mode is fixed at creation (a change replaces the pair).
		pod, err := netkit.NewNetkitPair(ctx, "pod", &netkit.NetkitPairArgs{
			Name:      pulumi.String("nk-pod"),
			PeerName:  pulumi.String("eth0"),
			PeerNetns: pulumi.String(netns),
			Mode:      netkit.NetkitMode(cfg.Require("mode")),
			Mtu:       pulumi.Int(cfg.RequireInt("mtu")),
			PeerMtu:   pulumi.Int(cfg.RequireInt("mtu")),
		})
		if err != nil {
			return err
		}

		// Queue 0 is the device's own; NumRxQueues 2 leaves room for one lease.
		xsk, err := netkit.NewNetkitSingle(ctx, "xsk", &netkit.NetkitSingleArgs{
			Name:        pulumi.String("nk-xsk"),
			Netns:       pulumi.String(netns),
			Mode:        netkit.NetkitModeL2,
			NumRxQueues: pulumi.Int(2),
		})
		if err != nil {
			return err
		}

		// The lease, for the device of this ifindex (a new device means a new lease); it ends
		// with the device, so it goes when the device goes.
		rxq, err := netkit.NewRxqBinding(ctx, "rxq", &netkit.RxqBindingArgs{
			DeviceName:    xsk.Name,
			Netns:         xsk.Netns,
			DeviceIfindex: xsk.Ifindex,
			Nic:           pulumi.String(cfg.Require("nic")),
			NicQueue:      pulumi.Int(cfg.RequireInt("nicQueue")),
		}, pulumi.DeletedWith(xsk))
		if err != nil {
			return err
		}

		ctx.Export("podIfindex", pod.Ifindex)
		ctx.Export("peerIfindex", pod.PeerIfindex)
		ctx.Export("xskIfindex", xsk.Ifindex)
		ctx.Export("queueId", rxq.QueueId)
		return nil
	})
}
