// NicQueues: the NIC-wide settings a zero-copy queue depends on, declared on a physical NIC:
// its channels (`ethtool -L`), RX ring size and TCP header/data split (`ethtool -G`), and how
// RSS spreads over its queues (`ethtool -X … equal N | weight …`), so that leased queues can be
// kept out of RSS. One resource per NIC: these settings have one value per NIC, and what was
// there before (recorded at create) is what delete restores. Every field changes in place;
// only another NIC (or host) replaces it.
import { z } from "zod";
import { field } from "../../definition/field";
import { defineResource } from "../../definition/resource";
import * as f from "../fields";

/** A channel or ring count: drivers have at most a few thousand queues, rings of at most 2^16 and some more entries. */
const count = z.number().int().min(1).max(65535);

export const TCP_DATA_SPLIT_VALUES = ["enabled", "disabled", "auto"] as const;

const previous = z
  .object({
    combinedChannels: field(z.number().int().optional(), { description: "Combined channels before." }),
    rxChannels: field(z.number().int().optional(), { description: "RX-only channels before." }),
    rxRing: field(z.number().int().optional(), { description: "RX ring size before." }),
    tcpDataSplit: field(z.enum(TCP_DATA_SPLIT_VALUES).optional(), {
      description: "TCP header/data split before, as the NIC reported it (auto: not reported).",
      enumName: "TcpDataSplit",
    }),
    hdsThresh: field(z.number().int().optional(), { description: "Header/data split threshold before." }),
    rssDefault: field(z.boolean().optional(), { description: "The RSS table was the driver's default spread before (delete resets it to the default)." }),
    rssTable: field(z.array(z.number().int()).optional(), { description: "The RSS indirection table before, when it was not the default spread." }),
  })
  .strict();
export type Previous = z.output<typeof previous>;

export const nicQueuesDefinition = defineResource({
  name: "NicQueues",
  description:
    "The queue layout of a physical NIC, for zero-copy queues (AF_XDP, io_uring zero-copy receive) leased to netkit devices: channels, RX ring size, TCP header/data split and the RSS spread, " +
    "each probed on the NIC and changed in place. What the NIC had before is recorded at create and restored on delete. Declare one per NIC, and let the devices and bindings that lease its queues " +
    "depend on it (take `nic` from its output): settings then go on before the leases and are restored after them. See docs/zero-copy.md.",
  inputs: z
    .object({
      connection: f.connection(),
      nic: field(f.interfaceName, { description: "Name of the physical NIC, in the host's network namespace.", replaceOnChange: true }),
      combinedChannels: field(count.optional(), {
        description: "Combined (RX+TX) channels (`ethtool -L NIC combined N`). The kernel refuses to remove a queue that is leased or bound (AF_XDP, a memory provider).",
        kernelDefault: "the NIC's current count",
      }),
      rxChannels: field(z.number().int().min(0).max(65535).optional(), {
        description: "RX-only channels (`ethtool -L NIC rx N`), on NICs that have them.",
        kernelDefault: "the NIC's current count",
      }),
      rxRing: field(count.optional(), { description: "RX ring size in descriptors (`ethtool -G NIC rx N`).", kernelDefault: "the NIC's current size" }),
      tcpDataSplit: field(z.enum(TCP_DATA_SPLIT_VALUES).optional(), {
        description:
          "TCP header/data split (`ethtool -G NIC tcp-data-split on|off|auto`), which io_uring zero-copy receive and devmem need enabled; auto leaves the choice to the driver. The kernel refuses to disable it while a memory provider holds a queue.",
        enumName: "TcpDataSplit",
        kernelDefault: "the NIC's current setting",
        needs: { feature: "tcpDataSplit", except: "auto" },
      }),
      hdsThresh: field(z.number().int().min(0).max(4294967295).optional(), {
        description: "Header/data split threshold in bytes (`ethtool -G NIC hds-thresh N`): packets up to it are not split. Zero-copy receive needs 0.",
        kernelDefault: "the NIC's current threshold",
        needs: { feature: "hdsThresh" },
      }),
      rssEqual: field(z.number().int().min(1).max(65535).optional(), {
        description:
          "RSS spreads over RX queues 0 … N-1 only (`ethtool -X NIC equal N`), so that queues from N up receive only what flow rules steer to them: lease those. Unset with rssWeights unset: RSS is left as it is.",
        kernelDefault: "the NIC's current spread",
        needs: { feature: "rssNetlink" },
      }),
      rssWeights: field(z.array(z.number().int().min(0).max(65535)).min(1).max(4096).optional(), {
        description: "RSS spreads over the RX queues in proportion to these weights, queue 0 first (`ethtool -X NIC weight W0 W1 …`); a weight of 0 keeps a queue out of RSS.",
        kernelDefault: "the NIC's current spread",
        needs: { feature: "rssNetlink" },
      }),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.rssEqual !== undefined && v.rssWeights !== undefined)
        ctx.addIssue({ code: "custom", path: ["rssWeights"], message: "give rssEqual or rssWeights, not both: they are two ways to write one RSS table" });
      if (Array.isArray(v.rssWeights) && v.rssWeights.every((w) => w === 0)) ctx.addIssue({ code: "custom", path: ["rssWeights"], message: "at least one weight must be above 0" });
      const queues = v.combinedChannels !== undefined || v.rxChannels !== undefined ? (v.combinedChannels ?? 0) + (v.rxChannels ?? 0) : undefined;
      if (queues !== undefined && typeof v.rssEqual === "number" && v.rssEqual > queues)
        ctx.addIssue({ code: "custom", path: ["rssEqual"], message: `${v.rssEqual} is more than the ${queues} RX queues the channels declare` });
      if (queues !== undefined && Array.isArray(v.rssWeights) && v.rssWeights.length > queues)
        ctx.addIssue({ code: "custom", path: ["rssWeights"], message: `${v.rssWeights.length} weights for the ${queues} RX queues the channels declare` });
      if (v.combinedChannels === undefined && v.rxChannels === 0)
        ctx.addIssue({ code: "custom", path: ["rxChannels"], message: "0 RX-only channels need combinedChannels declared too: a NIC needs at least one RX queue" });
    }),
  needs: ["ethtool"],
  outputs: z.object({
    nicIfindex: field(z.number().int(), { description: "Interface index of the NIC." }),
    rxQueues: field(z.number().int(), { description: "The NIC's RX queue count now (combined + RX-only channels)." }),
    previous: field(previous, {
      description: "What the NIC had, for each declared setting, before this resource changed it: what delete restores (and what a setting dropped from the program goes back to).",
      typeName: "NicQueuesPrevious",
    }),
  }),
});
