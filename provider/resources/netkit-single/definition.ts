// NetkitSingle: netkit's single-device mode (IFLA_NETKIT_PAIRING = single, Linux 7.1+): one
// device with no peer, made to take NIC RX queue leases for AF_XDP / io_uring zero-copy.
import { z } from "zod";
import { field } from "../../definition/field";
import { defineResource } from "../../definition/resource";
import * as f from "../fields";

const replace = { replaceOnChange: true } as const;

export const netkitSingleDefinition = defineResource({
  name: "NetkitSingle",
  description: "A single netkit device (no peer; Linux 7.1+), typically created in or moved to a pod's network namespace to receive leased NIC RX queues.",
  inputs: z
    .object({
      connection: f.connection(),
      name: field(f.interfaceName, { description: `Name of the device. ${f.RENAME}` }),
      netns: field(f.netnsRef.optional(), {
        description: `Network namespace of the device: a name from \`ip netns\` or a path such as /proc/<pid>/ns/net. Default: the host's. ${f.MOVE}`,
      }),
      mode: field(f.mode.default("l3"), { description: "l3 (default) or l2.", enumName: "NetkitMode", ...replace }),
      policy: field(z.literal("forward", { error: "single devices support only forward: the kernel refuses blackhole without a peer" }).default("forward"), {
        description: "Default action; single devices support only forward.",
        enumName: "NetkitSinglePolicy",
      }),
      headroom: field(f.roomBytes.optional(), {
        description: "Extra headroom in bytes reserved in packets.",
        kernelDefault: "0",
        needs: { feature: "headroom", except: 0 },
        ...replace,
      }),
      tailroom: field(f.roomBytes.optional(), {
        description: "Extra tailroom in bytes reserved in packets.",
        kernelDefault: "0",
        needs: { feature: "tailroom", except: 0 },
        ...replace,
      }),
      numRxQueues: field(f.numRxQueues.optional(), {
        description: "RX queue capacity: 1 (the device's own queue) + the NIC queues leased to it (leases, or RxqBinding).",
        kernelDefault: "1 + the leases",
        ...replace,
      }),
      leases: field(f.leases.optional(), {
        description:
          "NIC RX queues leased to the device for AF_XDP or io_uring zero-copy (Linux 7.1+), all from one NIC; they become its queues 1, 2, … in this order (leaseQueueIds). The kernel cannot release one lease, so a change replaces the device, which ends the old leases. Default: none.",
        typeName: "Lease",
        needs: { feature: "queueLease", except: [] },
        ...replace,
      }),
      numTxQueues: field(f.numTxQueues.optional(), { description: "TX queues (netkit supports 1).", kernelDefault: "1", ...replace }),
      mtu: field(f.mtu.optional(), { description: "MTU.", kernelDefault: "1500" }),
      txQueueLen: field(f.txQueueLen.optional(), { description: "Transmit queue length (used by a qdisc attached to the device).", kernelDefault: "1000" }),
      macAddress: field(f.macAddress.optional(), { description: "MAC address (mode l2 only).", kernelDefault: "random in l2" }),
      ...f.linkSettingFields("the device"),
      up: field(z.boolean().default(true), { description: "Administrative state (default up)." }),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.mode === "l3" && v.macAddress !== undefined) ctx.addIssue({ code: "custom", path: ["macAddress"], message: "needs mode l2: netkit in l3 mode has no MAC address" });
      f.checkLeases(ctx, { leases: v.leases, capacity: v.numRxQueues, deviceName: v.name, deviceNetns: v.netns }, { leases: "leases", capacity: "numRxQueues" });
    }),
  needs: ["single"],
  outputs: z.object({
    ifindex: field(z.number().int(), { description: "Interface index of the device, in its netns." }),
    leaseQueueIds: field(z.array(z.number().int()), { description: "The device's queue of each lease in leases, in order." }),
  }),
});
