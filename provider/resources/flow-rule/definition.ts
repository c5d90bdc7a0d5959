// FlowRule: one flow steering rule of a physical NIC (`ethtool -N NIC flow-type tcp6 dst-port P
// action Q`, an "ntuple" filter), sending a flow to the RX queue a netkit device leases, where
// RSS (NicQueues rssEqual) no longer sends anything. The kernel has no way to change a rule in
// place: every field replaces it. Rules go through the SIOCETHTOOL ioctl (ethtool netlink has
// none as of Linux 7.2); what a NIC implements is probed on it.
import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import { field } from "../../definition/field";
import { defineResource } from "../../definition/resource";
import * as f from "../fields";

const replace = { replaceOnChange: true } as const;
export const FLOW_TYPE_VALUES = ["tcp4", "udp4", "sctp4", "tcp6", "udp6", "sctp6"] as const;
const port = z.number().int().min(0).max(65535);
const ip = z.string().refine((s) => isIPv4(s) || isIPv6(s), "must be an IPv4 or IPv6 address");

export const flowRuleDefinition = defineResource({
  name: "FlowRule",
  description:
    "A flow steering rule of a physical NIC (`ethtool -N NIC flow-type … action QUEUE`): packets of the flow go to one RX queue, typically the queue leased to a pod's netkit device for AF_XDP or io_uring zero-copy. " +
    "Probed on the NIC (netdevsim and virtio-net have none); every change replaces the rule. See docs/zero-copy.md.",
  inputs: z
    .object({
      connection: f.connection(),
      nic: field(f.interfaceName, { description: "Name of the physical NIC, in the host's network namespace.", ...replace }),
      flowType: field(z.enum(FLOW_TYPE_VALUES), {
        description: "The flow's protocol and IP version (`flow-type tcp4|udp4|sctp4|tcp6|udp6|sctp6`).",
        enumName: "FlowType",
        ...replace,
      }),
      srcIp: field(ip.optional(), { description: "Source address to match (`src-ip`), of the flow type's IP version. Unset: any.", ...replace }),
      dstIp: field(ip.optional(), { description: "Destination address to match (`dst-ip`), of the flow type's IP version. Unset: any.", ...replace }),
      srcPort: field(port.optional(), { description: "Source port to match (`src-port`). Unset: any.", ...replace }),
      dstPort: field(port.optional(), { description: "Destination port to match (`dst-port`). Unset: any.", ...replace }),
      queue: field(f.queueIndex, { description: "The RX queue the flow goes to (`action N`): less than the NIC's RX queue count.", ...replace }),
      location: field(z.number().int().min(0).max(0x7fffffff).optional(), {
        description: "The rule's slot in the NIC's rule table (`loc N`); it must be free. Unset: the driver picks one, or the first free slot where the driver does not.",
        kernelDefault: "a free slot",
        ...replace,
      }),
    })
    .strict()
    .superRefine((v, ctx) => {
      const v6 = typeof v.flowType === "string" && v.flowType.endsWith("6");
      for (const k of ["srcIp", "dstIp"] as const) {
        const a = v[k];
        if (typeof a === "string" && (v6 ? !isIPv6(a) : !isIPv4(a)))
          ctx.addIssue({ code: "custom", path: [k], message: `must be an ${v6 ? "IPv6" : "IPv4"} address for flow type ${String(v.flowType)}` });
      }
    }),
  needs: ["ethtool"],
  outputs: z.object({
    nicIfindex: field(z.number().int(), { description: "Interface index of the NIC." }),
    ruleLocation: field(z.number().int(), { description: "The slot the rule has in the NIC's table (`ethtool -n NIC rule N`)." }),
  }),
});
