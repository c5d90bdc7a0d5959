// Who holds a NIC queue's lease, as the provider records it on the host: the kernel knows a
// lease's device, not which stack's resource declared it, and a stack's provider cannot see
// another stack's state. The relay keeps one small record per NIC queue in its state directory
// (owner_op in relay.py), written when a lease is made or adopted and dropped when a binding
// lets go of one; a record counts only while the lease it describes is the kernel's (same
// device ifindex and netns id as queue-get reports), so a lease that ended leaves nothing that
// matters. Read where a lease would be adopted, and by the preview of a lease.
import { RelayBatch } from "./batch";
import type { HostClient } from "./client";
import type { RelayOp } from "./relay";

/** The record of one lease: the resource that holds it, by URN, and the lease it holds. */
export interface OwnerRecord {
  urn: string;
  /** Where in the resource the lease is declared: "nicQueue", "leases[1].queue", … */
  field: string;
  /** The lessee as queue-get reports it (host's view): ifindex, and nsid when in another netns. */
  device: number;
  nsid?: number;
}

/** Where the relay keeps the records (root's state directory; relay.py's OWNER_DIR). */
export const OWNER_DIR = "/run/pulumi-netkit/owners";

export const ownerKey = (nicIfindex: number, queue: number) => `${nicIfindex}-${queue}`;

/** The op that records `r` as the holder of NIC queue `queue` (replacing any record). */
export function putOwnerOp(nicIfindex: number, queue: number, r: OwnerRecord): RelayOp {
  return { op: "owner", action: "put", key: ownerKey(nicIfindex, queue), data: Buffer.from(JSON.stringify(r)) };
}

/** The op that drops the record of NIC queue `queue` if it names `urn`. */
export function dropOwnerOp(nicIfindex: number, queue: number, urn: string): RelayOp {
  return { op: "owner", action: "drop", key: ownerKey(nicIfindex, queue), urn };
}

/** The recorded holder of a NIC queue's lease (undefined: none recorded, or unreadable). Read-only. */
async function readOwner(host: HostClient, nicIfindex: number, queue: number): Promise<OwnerRecord | undefined> {
  const b = new RelayBatch({ readOnly: true });
  const i = b.add(`read the recorded holder of NIC ifindex ${nicIfindex} RX queue ${queue}`, { op: "owner", action: "get", key: ownerKey(nicIfindex, queue) });
  const r = (await host.run(b, false)).at(i);
  if (r?.kind !== "data") return undefined;
  try {
    const x = JSON.parse(r.data.toString()) as Partial<OwnerRecord>;
    if (typeof x.urn !== "string" || typeof x.device !== "number") return undefined;
    return { urn: x.urn, field: typeof x.field === "string" ? x.field : "", device: x.device, ...(typeof x.nsid === "number" ? { nsid: x.nsid } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * The record of the lease NIC queue `queue` has now, `lease` being its lessee as queue-get
 * reports it (host's view: ifindex, and nsid when in another netns); undefined: none recorded,
 * unreadable, or of a lease that ended (another lessee). One read-only relay run.
 */
export async function liveOwner(host: HostClient, nicIfindex: number, queue: number, lease: { ifindex: number; netnsId?: number }): Promise<OwnerRecord | undefined> {
  const r = await readOwner(host, nicIfindex, queue);
  return r && r.device === lease.ifindex && r.nsid === lease.netnsId ? r : undefined;
}

/** Records `r` (one relay run, a writer); a failure is returned, not thrown: the lease exists either way. */
export async function recordOwners(host: HostClient, records: Array<{ nicIfindex: number; queue: number; record: OwnerRecord }>): Promise<string | undefined> {
  if (!records.length) return undefined;
  const b = new RelayBatch();
  for (const x of records) b.add(`record ${x.record.urn} as the holder of NIC ifindex ${x.nicIfindex} RX queue ${x.queue}`, putOwnerOp(x.nicIfindex, x.queue, x.record));
  const err = host.firstFailure(await host.run(b, false));
  return err?.message;
}
