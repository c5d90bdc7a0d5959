// RxqBinding: one physical NIC RX queue leased to a netkit device (the netdev genl op
// queue-create, Linux 7.1+), for AF_XDP or io_uring zero-copy inside a pod. The kernel has
// no op to change or release one lease, so every field replaces the binding.
import { z } from "zod";
import { field } from "../../definition/field";
import { defineResource } from "../../definition/resource";
import * as f from "../fields";

const replace = { replaceOnChange: true } as const;

export const rxqBindingDefinition = defineResource({
  name: "RxqBinding",
  description:
    "A physical NIC RX queue leased to a netkit device (a NetkitSingle, or a NetkitPair's peer), usually inside a pod's network namespace, " +
    "for AF_XDP or io_uring zero-copy (Linux 7.1+), as a resource of its own; leases can also be declared on the device (NetkitSingle.leases, NetkitPair.peerLeases). The lease ends only when the netkit device is deleted: see docs/guides/queue-leasing.md.",
  inputs: z
    .object({
      connection: f.connection(),
      deviceName: field(f.interfaceName, {
        description: "Name of the netkit device that receives the queue: a single device, or the peer of a pair (a pair's primary cannot take leases).",
        ...replace,
      }),
      netns: field(f.netnsRef.optional(), {
        description: "Network namespace of the netkit device: a name from `ip netns` or a path such as /proc/<pid>/ns/net. Default: the host's.",
        ...replace,
      }),
      nic: field(f.interfaceName, { description: "Name of the physical NIC lending the queue, in the host's network namespace.", ...replace }),
      nicQueue: field(f.queueIndex, { description: "Index of the NIC's RX queue to lease (0 … its RX queue count - 1).", ...replace }),
      deviceIfindex: field(z.number().int().min(1).max(2147483647).optional(), {
        description:
          "The interface index the netkit device must have: a binding for another device of the same name is then refused. Set from the device's ifindex output (as YAML can), it stays known in the preview of an update in place of the device (MTU, up/down, policy, a rename), so the binding shows no change; it is unknown only where the device moves to another netns (the kernel keeps an ifindex there only if it is free) or is replaced. The SDK's `device` option uses replaceWith instead.",
        kernelDefault: "the device's current ifindex",
        ...replace,
      }),
    })
    .strict()
    .superRefine((v, ctx) => {
      // The kernel refuses a self lease; within one netns equal names are the same device.
      if (v.netns === undefined && v.nic === v.deviceName)
        ctx.addIssue({ code: "custom", path: ["nic"], message: "must differ from deviceName: a device cannot lease its own queue" });
    }),
  needs: ["queueLease"],
  outputs: z.object({
    queueId: field(z.number().int(), { description: "Index of the leased queue on the netkit device (queue 0 is its own, leases get 1, 2, …)." }),
    nicIfindex: field(z.number().int(), { description: "Interface index of the NIC." }),
    deviceNetnsId: field(z.number().int().optional(), {
      description: "The netkit device's netns as an nsid of the host's netns, as queue-get reports it; absent when both share a netns.",
    }),
    hostNetnsId: field(z.number().int().optional(), {
      description: "The host's netns as an nsid of the device's netns, which queue-create was given; absent when both share a netns.",
    }),
  }),
});
