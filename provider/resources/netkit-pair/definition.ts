// NetkitPair: a primary netkit device in the host's netns and its peer, usually moved into
// a pod's netns. `ip link add NAME type netkit mode l2 … peer name PEER netns NS` plus the
// attributes iproute2 cannot set (headroom, tailroom).
import { z } from "zod";
import { field } from "../../definition/field";
import { defineResource } from "../../definition/resource";
import * as f from "../fields";

const replace = { replaceOnChange: true } as const;

export const netkitPairDefinition = defineResource({
  name: "NetkitPair",
  description:
    "A netkit device pair: the primary stays in the host's network namespace, the peer is usually placed in a pod's namespace. " +
    "BPF programs attached to the primary decide what the peer's traffic does.",
  inputs: z
    .object({
      connection: f.connection(),
      name: field(f.interfaceName, { description: `Name of the primary device, in the host's netns. ${f.RENAME}` }),
      peerName: field(f.interfaceName, { description: `Name of the peer device. ${f.RENAME}` }),
      peerNetns: field(f.netnsRef.optional(), {
        description: `Network namespace of the peer: a name from \`ip netns\` or a path such as /proc/<pid>/ns/net. Default: the host's. ${f.MOVE}`,
      }),
      mode: field(f.mode.default("l3"), { description: "l3 (no link-layer header, default) or l2 (Ethernet).", enumName: "NetkitMode", ...replace }),
      policy: field(f.policy.default("forward"), {
        description: "Default action of the primary when no BPF program decides: forward (default) or blackhole.",
        enumName: "NetkitPolicy",
      }),
      peerPolicy: field(f.policy.default("forward"), {
        description: "Default action of the peer when no BPF program decides: forward (default) or blackhole.",
        enumName: "NetkitPolicy",
      }),
      scrub: field(f.scrub.default("default"), {
        description: "Packet scrubbing on the primary: default (scrub skb metadata crossing netns) or none.",
        enumName: "NetkitScrub",
        needs: { feature: "scrub", except: "default" },
        ...replace,
      }),
      peerScrub: field(f.scrub.default("default"), {
        description: "Packet scrubbing on the peer: default or none.",
        enumName: "NetkitScrub",
        needs: { feature: "scrub", except: "default" },
        ...replace,
      }),
      headroom: field(f.roomBytes.optional(), {
        description: "Extra headroom in bytes reserved in packets (both devices).",
        kernelDefault: "0",
        needs: { feature: "headroom", except: 0 },
        ...replace,
      }),
      tailroom: field(f.roomBytes.optional(), {
        description: "Extra tailroom in bytes reserved in packets (both devices).",
        kernelDefault: "0",
        needs: { feature: "tailroom", except: 0 },
        ...replace,
      }),
      numRxQueues: field(f.numRxQueues.optional(), { description: "RX queue capacity of the primary.", kernelDefault: "1", ...replace }),
      numTxQueues: field(f.numTxQueues.optional(), { description: "TX queues of the primary (netkit supports 1).", kernelDefault: "1", ...replace }),
      peerNumRxQueues: field(f.numRxQueues.optional(), {
        description: "RX queue capacity of the peer: 1 (its own queue) + the NIC queues leased to it (peerLeases, or RxqBinding).",
        kernelDefault: "1 + the peer's leases",
        ...replace,
      }),
      peerLeases: field(f.leases.optional(), {
        description:
          "NIC RX queues leased to the peer (the pod side: the kernel leases only to a pair's peer) for AF_XDP or io_uring zero-copy (Linux 7.1+), all from one NIC; they become its queues 1, 2, … in this order (peerLeaseQueueIds). The kernel cannot release one lease, so a change replaces the pair, which ends the old leases. Default: none.",
        typeName: "Lease",
        needs: { feature: "queueLease", except: [] },
        ...replace,
      }),
      peerNumTxQueues: field(f.numTxQueues.optional(), { description: "TX queues of the peer (netkit supports 1).", kernelDefault: "1", ...replace }),
      mtu: field(f.mtu.optional(), { description: "MTU of the primary.", kernelDefault: "1500" }),
      peerMtu: field(f.mtu.optional(), { description: "MTU of the peer.", kernelDefault: "1500" }),
      txQueueLen: field(f.txQueueLen.optional(), { description: "Transmit queue length of the primary (used by a qdisc attached to it).", kernelDefault: "1000" }),
      peerTxQueueLen: field(f.txQueueLen.optional(), { description: "Transmit queue length of the peer.", kernelDefault: "1000" }),
      macAddress: field(f.macAddress.optional(), { description: "MAC address of the primary (mode l2 only).", kernelDefault: "random in l2" }),
      peerMacAddress: field(f.macAddress.optional(), { description: "MAC address of the peer (mode l2 only).", kernelDefault: "random in l2" }),
      programs: field(f.programs.optional(), {
        description:
          "BPF programs the primary's hook runs (BPF_NETKIT_PRIMARY: traffic the host sends to the pod), in this order, each given by its pin in bpffs. " +
          "Attached through bpf links that the provider pins under /sys/fs/bpf/pulumi-netkit; a change swaps programs on the live device (BPF_LINK_UPDATE). Default: none managed.",
        typeName: "Program",
      }),
      peerPrograms: field(f.programs.optional(), {
        description:
          "BPF programs the peer's hook runs (BPF_NETKIT_PEER: traffic the pod sends), in this order, each given by its pin in bpffs; attached and changed like programs. Default: none managed.",
        typeName: "Program",
      }),
      ...f.linkSettingFields("the primary"),
      ...f.peerLinkSettingFields(),
      up: field(z.boolean().default(true), { description: "Administrative state of the primary (default up)." }),
      peerUp: field(z.boolean().default(true), { description: "Administrative state of the peer (default up)." }),
    })
    .strict()
    .superRefine((v, ctx) => {
      f.checkLeases(
        ctx,
        { leases: v.peerLeases, capacity: v.peerNumRxQueues, deviceName: v.peerName, deviceNetns: v.peerNetns },
        { leases: "peerLeases", capacity: "peerNumRxQueues" },
      );
      if (v.peerName === v.name && v.peerNetns === undefined)
        ctx.addIssue({ code: "custom", path: ["peerName"], message: "must differ from name while both devices are in the host's netns" });
      if (v.mode === "l3")
        for (const k of ["macAddress", "peerMacAddress"] as const)
          if (v[k] !== undefined) ctx.addIssue({ code: "custom", path: [k], message: "needs mode l2: netkit in l3 mode has no MAC address" });
    }),
  outputs: z.object({
    ifindex: field(z.number().int(), { description: "Interface index of the primary." }),
    peerIfindex: field(z.number().int(), { description: "Interface index of the peer, in its netns." }),
    peerLeaseQueueIds: field(z.array(z.number().int()), { description: "The peer's queue of each lease in peerLeases, in order." }),
    programIds: field(z.array(z.number().int()), { description: "Ids of the programs the primary's hook runs through the provider's links, in order (bpftool prog show id N)." }),
    peerProgramIds: field(z.array(z.number().int()), { description: "Ids of the programs the peer's hook runs through the provider's links, in order." }),
    otherProgramIds: field(z.array(z.number().int()), {
      description: "Ids of programs on the primary's hook that another tool attached (read when programs is declared; the provider leaves them alone).",
    }),
    peerOtherProgramIds: field(z.array(z.number().int()), { description: "Ids of programs on the peer's hook that another tool attached (read when peerPrograms is declared)." }),
    peerNetnsId: field(z.number().int().optional(), { description: "The peer's netns as an nsid of the host's netns (IFLA_LINK_NETNSID), when it is elsewhere." }),
  }),
});
