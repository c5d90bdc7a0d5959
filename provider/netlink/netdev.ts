// The netdev generic netlink family's queue ops used for RX queue leasing (Linux 7.1+):
// queue-create (lease a physical RX queue to a virtual device) and queue-get (dumped on the
// physical device, it reports each leased queue's lessee). Attribute numbers follow
// include/uapi/linux/netdev.h; the request layout follows netdev_nl_queue_create_doit().
import { decodeAttrs, nest, readNested, readS32, readU32, s32, u32, type Attr } from "./attributes";
import { NETDEV_A_LEASE, NETDEV_A_QUEUE, NETDEV_CMD, NETDEV_FAMILY_VERSION, NETDEV_QUEUE_TYPE, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from "./constants";
import { decodeGenl, encodeGenl } from "./genl";
import type { NlMessage } from "./message";

export interface QueueCreate {
  /** The virtual (netkit) device, resolved in the requesting socket's netns. */
  ifindex: number;
  /** The physical device whose RX queue is leased. */
  leaseIfindex: number;
  leaseQueue: number;
  /**
   * The netns holding the physical device, as an nsid seen from the requesting socket's
   * netns. Absent: the physical device is in the socket's netns too.
   */
  netnsId?: number;
}

/**
 * queue-create: IFINDEX, TYPE=rx, LEASE{IFINDEX, QUEUE{ID, TYPE=rx}, NETNS_ID?}. encodeAttrs
 * marks both nests NLA_F_NESTED, without which the kernel's nested policy refuses them.
 */
export function queueCreateRequest(familyId: number, c: QueueCreate): Buffer {
  const lease: Attr[] = [
    u32(NETDEV_A_LEASE.IFINDEX, c.leaseIfindex),
    nest(NETDEV_A_LEASE.QUEUE, [u32(NETDEV_A_QUEUE.ID, c.leaseQueue), u32(NETDEV_A_QUEUE.TYPE, NETDEV_QUEUE_TYPE.RX)]),
  ];
  if (c.netnsId !== undefined) lease.push(s32(NETDEV_A_LEASE.NETNS_ID, c.netnsId));
  return encodeGenl(familyId, NLM_F_REQUEST | NLM_F_ACK, { cmd: NETDEV_CMD.QUEUE_CREATE, version: NETDEV_FAMILY_VERSION }, [
    u32(NETDEV_A_QUEUE.IFINDEX, c.ifindex),
    u32(NETDEV_A_QUEUE.TYPE, NETDEV_QUEUE_TYPE.RX),
    nest(NETDEV_A_QUEUE.LEASE, lease),
  ]);
}

/** The reply's ID: the new queue's index on the virtual device (its previous real RX count). */
export function parseQueueCreateReply(m: NlMessage): number {
  const id = readU32(decodeGenl(m).attrs, NETDEV_A_QUEUE.ID);
  if (id === undefined) throw new Error("queue-create reply without a queue id");
  return id;
}

/** queue-get dump, of one device or (ifindex undefined) of every device that is up. */
export function queueGetDumpRequest(familyId: number, ifindex?: number): Buffer {
  const attrs = ifindex === undefined ? [] : [u32(NETDEV_A_QUEUE.IFINDEX, ifindex)];
  return encodeGenl(familyId, NLM_F_REQUEST | NLM_F_DUMP, { cmd: NETDEV_CMD.QUEUE_GET, version: NETDEV_FAMILY_VERSION }, attrs);
}

export interface QueueLease {
  /** The lessee (virtual device), in the netns netnsId names. */
  ifindex: number;
  /** The queue's index on the lessee. */
  queueId: number;
  /** The lessee's netns as an nsid of the physical device's netns; absent when they share one. */
  netnsId?: number;
}

export interface QueueInfo {
  ifindex: number;
  type: "rx" | "tx";
  id: number;
  napiId?: number;
  /** Only on a physical device's leased RX queues. */
  lease?: QueueLease;
  /** An AF_XDP socket is bound to the queue. */
  xsk: boolean;
  /** A memory provider (devmem dmabuf or io_uring zcrx) holds the queue. */
  memoryProvider: boolean;
  /** Which memory provider: io_uring zero-copy receive (an ifq)… */
  ioUring?: true;
  /** …or a devmem dmabuf binding (its id). */
  dmabuf?: number;
}

export function parseQueue(m: NlMessage): QueueInfo {
  const { attrs } = decodeGenl(m);
  const q: QueueInfo = {
    ifindex: readU32(attrs, NETDEV_A_QUEUE.IFINDEX) ?? 0,
    type: readU32(attrs, NETDEV_A_QUEUE.TYPE) === NETDEV_QUEUE_TYPE.TX ? "tx" : "rx",
    id: readU32(attrs, NETDEV_A_QUEUE.ID) ?? 0,
    xsk: attrs.has(NETDEV_A_QUEUE.XSK),
    memoryProvider: attrs.has(NETDEV_A_QUEUE.DMABUF) || attrs.has(NETDEV_A_QUEUE.IO_URING),
  };
  if (attrs.has(NETDEV_A_QUEUE.IO_URING)) q.ioUring = true;
  const dmabuf = readU32(attrs, NETDEV_A_QUEUE.DMABUF);
  if (dmabuf !== undefined) q.dmabuf = dmabuf;
  const napi = readU32(attrs, NETDEV_A_QUEUE.NAPI_ID);
  if (napi !== undefined) q.napiId = napi;
  const l = readNested(attrs, NETDEV_A_QUEUE.LEASE);
  if (l) {
    const inner = l.get(NETDEV_A_LEASE.QUEUE);
    const lease: QueueLease = { ifindex: readU32(l, NETDEV_A_LEASE.IFINDEX) ?? 0, queueId: inner ? (readU32(decodeAttrs(inner), NETDEV_A_QUEUE.ID) ?? 0) : 0 };
    const ns = readS32(l, NETDEV_A_LEASE.NETNS_ID);
    if (ns !== undefined) lease.netnsId = ns;
    q.lease = lease;
  }
  return q;
}
