// QueueNapi: the NAPI instance of one physical NIC RX queue — the queue a zero-copy consumer
// uses through a lease — and its per-NAPI settings (netdev napi-set: defer-hard-irqs,
// gro-flush-timeout, irq-suspend-timeout, threaded), plus who uses the queue as the kernel
// reports it (queue-get: a lease, an AF_XDP socket, io_uring zero-copy receive, a devmem
// binding). The NAPI is the physical queue's, not the netkit device's: a lease redirects the
// queue, the NIC still polls it. What the NAPI had before is recorded and restored on delete.
import { z } from "zod";
import { field } from "../../definition/field";
import { defineResource } from "../../definition/resource";
import * as f from "../fields";

export const THREADED_VALUES = ["disabled", "enabled", "busy-poll"] as const;
/** u32 defer-hard-irqs: the kernel's policy range is 0 … S32_MAX. */
const defer = z.number().int().min(0).max(2147483647);
/** Timeouts in nanoseconds (NLA_UINT, u64 in the kernel); kept within what JSON numbers hold exactly. */
const nanoseconds = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const previous = z
  .object({
    deferHardIrqs: field(z.number().int().optional(), { description: "defer-hard-irqs before." }),
    groFlushTimeout: field(z.number().int().optional(), { description: "gro-flush-timeout before (ns)." }),
    irqSuspendTimeout: field(z.number().int().optional(), { description: "irq-suspend-timeout before (ns)." }),
    threaded: field(z.enum(THREADED_VALUES).optional(), { description: "Threaded NAPI before.", enumName: "NapiThreaded" }),
  })
  .strict();
export type NapiPrevious = z.output<typeof previous>;

export const queueNapiDefinition = defineResource({
  name: "QueueNapi",
  description:
    "The NAPI of one physical NIC RX queue (the queue a lease gives a netkit device): its per-NAPI settings, set with netdev napi-set and restored on delete, " +
    "and who uses the queue as the kernel reports it (a lease, an AF_XDP socket, io_uring zero-copy receive, a devmem binding). See docs/zero-copy.md.",
  inputs: z
    .object({
      connection: f.connection(),
      nic: field(f.interfaceName, {
        description: "Name of the physical NIC, in the host's network namespace. It must be up (the kernel lists queues and NAPIs of running devices only).",
        replaceOnChange: true,
      }),
      queue: field(f.queueIndex, { description: "Index of the NIC's RX queue.", replaceOnChange: true }),
      deferHardIrqs: field(defer.optional(), {
        description:
          "How many times NAPI polls again before the NIC's interrupt comes back (napi-set defer-hard-irqs); with groFlushTimeout, busy-polling consumers keep interrupts off.",
        kernelDefault: "the NAPI's current value",
      }),
      groFlushTimeout: field(nanoseconds.optional(), {
        description: "Nanoseconds a deferred interrupt waits, and GRO holds packets (napi-set gro-flush-timeout).",
        kernelDefault: "the NAPI's current value",
      }),
      irqSuspendTimeout: field(nanoseconds.optional(), {
        description: "Nanoseconds interrupts stay suspended while an application busy-polls (epoll busy poll; napi-set irq-suspend-timeout).",
        kernelDefault: "the NAPI's current value",
        needs: { feature: "napiIrqSuspend" },
      }),
      threaded: field(z.enum(THREADED_VALUES).optional(), {
        description: "Threaded NAPI for this instance (napi-set threaded): disabled (softirq), enabled (a kernel thread), busy-poll (a thread that busy-polls).",
        enumName: "NapiThreaded",
        kernelDefault: "the NAPI's current mode",
        needs: { feature: "napiThreaded" },
      }),
    })
    .strict(),
  needs: ["napiSet"],
  outputs: z.object({
    nicIfindex: field(z.number().int(), { description: "Interface index of the NIC." }),
    napiId: field(z.number().int(), { description: "The NAPI instance's id (queue-get's napi-id): what SO_INCOMING_NAPI_ID reports to a socket fed by this queue." }),
    previous: field(previous, { description: "The NAPI's settings before this resource changed them: what delete restores.", typeName: "QueueNapiPrevious" }),
    leaseDeviceIfindex: field(z.number().int().optional(), { description: "The netkit device the queue is leased to (its ifindex, in its netns), as queue-get reports it." }),
    leaseQueueId: field(z.number().int().optional(), { description: "The queue's index on that device." }),
    leaseNetnsId: field(z.number().int().optional(), { description: "That device's netns as an nsid of the host's netns; absent when it is the host's." }),
    xsk: field(z.boolean(), { description: "An AF_XDP socket is bound to the queue (on the NIC, or on the leasing device's queue)." }),
    ioUring: field(z.boolean(), { description: "io_uring zero-copy receive (an ifq) holds the queue." }),
    dmabuf: field(z.number().int().optional(), { description: "The devmem dmabuf binding that holds the queue, by id." }),
  }),
});
