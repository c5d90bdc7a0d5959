// One lease has one owner: which resource of the stack declares each NIC queue, and which
// holds it on the host when another stack made it.
//
// Within a stack: the engine checks every resource of a program in one provider process per
// run (before it creates or updates any of them), so the checks of this run are what the
// program declares. Each check claims its NIC queues here (a binding's nicQueue, a device's
// leases or peerLeases), by the resource's URN: a second resource claiming a queue fails
// check, naming the first. A resource checked twice (the engine checks a replacement again
// without its old inputs) keeps its own claim. A binding's create adopts the lease its device
// already holds only when no other resource claimed the queue in this run: the case after
// `pulumi state delete`, or a run that failed half way.
//
// Across stacks (another stack's provider is another process): the host's records
// (host/lease-owners.ts) name the resource that made or adopted each lease; a binding does not
// adopt a lease that another stack's resource holds.
//
// A preview refuses a queue leased already unless the lease is the resource's own (isOwnLease).
//
// The URN comes with every request of the plugin; the SDK's classes send it as the input
// `__urn` (a dynamic provider is not told). Without one (a controller called directly), no
// claim is made and adoption is as it always was.
import { NetkitError } from "../../errors";
import type { ConnectionInput } from "../../connection";
import { endpointFor } from "../ids";
import { OWNER_DIR, ownerKey, type OwnerRecord } from "../../host/lease-owners";

/** The engine key under which a resource's URN reaches its controller. */
export const URN_KEY = "__urn";

/** A NIC queue a resource declares, and the field that declares it. */
export interface QueueClaim {
  nic: string;
  queue: number;
  field: string;
}

/** Who declares a queue: the resource by URN, and where. */
export interface Claimant {
  urn: string;
  field: string;
}

/** The identity a create or delete acts for: the resource and the host endpoint it is on. */
export interface Owner {
  urn: string;
  endpoint: string;
}

/** endpoint nic queue → urn → field (one process serves one stack's run; other stacks' URNs never count as this stack's) */
const claims = new Map<string, Map<string, string>>();
/** urn → its claim keys, so that a re-check replaces them. */
const byUrn = new Map<string, string[]>();

const claimKey = (endpoint: string, nic: string, queue: number) => `${endpoint} ${nic} ${queue}`;

/** The URN a controller was given (undefined: none). */
export function urnOf(props: object | undefined): string | undefined {
  const v = (props as Record<string, unknown> | undefined)?.[URN_KEY];
  return typeof v === "string" && v.startsWith("urn:pulumi:") ? v : undefined;
}

/** The owner a resource's create or delete acts for, when its URN and host are known. */
export function ownerOf(props: object & { connection?: ConnectionInput }): Owner | undefined {
  const urn = urnOf(props);
  const endpoint = urn ? endpointFor(props.connection) : undefined;
  return urn && endpoint ? { urn, endpoint } : undefined;
}

/**
 * Claims a resource's queues on `endpoint` for this run, replacing what it claimed before. A
 * queue another resource claimed already is returned and not claimed (the resource fails
 * check, and will not be created in this run).
 */
export function claimQueues(endpoint: string, urn: string, queues: QueueClaim[]): Array<{ claim: QueueClaim; other: Claimant }> {
  for (const k of byUrn.get(urn) ?? []) claims.get(k)?.delete(urn);
  const conflicts: Array<{ claim: QueueClaim; other: Claimant }> = [];
  const keys: string[] = [];
  for (const q of queues) {
    const k = claimKey(endpoint, q.nic, q.queue);
    let m = claims.get(k);
    if (!m) claims.set(k, (m = new Map<string, string>()));
    const other = [...m].find(([u]) => u !== urn && sameStack(u, urn));
    if (other) {
      conflicts.push({ claim: q, other: { urn: other[0], field: other[1] } });
      continue;
    }
    m.set(urn, q.field);
    keys.push(k);
  }
  byUrn.set(urn, keys);
  return conflicts;
}

/** Another resource of this run that claims the queue, if any. */
export function otherClaimant(owner: Owner, nic: string, queue: number): Claimant | undefined {
  const m = claims.get(claimKey(owner.endpoint, nic, queue));
  const other = m && [...m].find(([u]) => u !== owner.urn && sameStack(u, owner.urn));
  return other && { urn: other[0], field: other[1] };
}

/** Forgets every claim (tests that run many programs in one process). */
export function forgetClaims(): void {
  claims.clear();
  byUrn.clear();
}

/** A URN's parts: urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME. */
export function urnParts(urn: string): { stack: string; project: string; type: string; name: string } {
  const [head = "", project = "", types = "", ...rest] = urn.split("::");
  const type = (types.split("$").pop() ?? "").split(":").pop() ?? "";
  return { stack: head.replace(/^urn:pulumi:/, ""), project, type, name: rest.join("::") };
}

/** Whether two URNs are of one stack. */
export function sameStack(a: string, b: string): boolean {
  const x = urnParts(a);
  const y = urnParts(b);
  return x.stack === y.stack && x.project === y.project;
}

/** 'RxqBinding "rxq3"', or 'NetkitSingle "xsk" (leases[0])' for a device's declared lease. */
export function describeClaimant(c: Claimant): string {
  const { type, name } = urnParts(c.urn);
  const where = c.field && c.field !== "nicQueue" ? ` (${c.field.replace(/\.queue$/, "")})` : "";
  return `${type} "${name}"${where}`;
}

/** The check failure of a queue that another resource of the stack declares too. */
export function claimedTwice(nic: string, queue: number, other: Claimant): string {
  return (
    `${nic} RX queue ${queue} is declared by ${describeClaimant(other)} of this stack too: one lease has one owner. ` +
    "Declare it once: as an RxqBinding, or in the device's leases (peerLeases of a NetkitPair)"
  );
}

/** The resource a preview's lease is for: its device by name and netns file (absent: the host's netns), and what it held before. */
export interface Lessee {
  name?: string;
  netns?: string;
  /** Queues of this NIC the resource leased before this change (its old inputs). */
  held?: number[];
  /** The resource's URN (a binding's): the host's records (host/lease-owners.ts) name leases by it. */
  urn?: string;
}

/** A lease the host holds on a NIC queue, as a preview found it. */
export interface HeldLease {
  queue: number;
  /** The holder's name (absent: not found) and netns file ("": the host's netns). */
  holder: { name?: string; netns: string };
  /** The host's record of this very lease, if any. */
  recorded?: OwnerRecord;
}

/** Whether a lease the host holds is the lessee's own, so that a preview does not refuse it. */
export function isOwnLease(lessee: Lessee | undefined, l: HeldLease): boolean {
  if (!lessee) return false;
  // Leased before this change: its device is renamed, moved or replaced in this update, so the
  // holder may have another name now; the lease rules at apply tell the device apart by ifindex.
  if (lessee.held?.includes(l.queue)) return true;
  // Held by a device of the lessee's name in its netns: its own device (a binding adopts that
  // lease; a device being replaced gives it up with the old device).
  if (lessee.name !== undefined && l.holder.name === lessee.name && l.holder.netns === (lessee.netns ?? "")) return true;
  // Recorded as this resource's: a replacement is checked without the old inputs (no `held`),
  // and its device may take another name; the host's record still names the resource.
  return lessee.urn !== undefined && l.recorded?.urn === lessee.urn;
}

/** Why a binding may not adopt the lease its device holds, or undefined when it may. */
export function adoptionRefused(owner: Owner, nic: string, queue: number, nicIfindex: number, recorded: OwnerRecord | undefined): NetkitError | undefined {
  const other = otherClaimant(owner, nic, queue);
  if (other) return new NetkitError(`cannot adopt the lease of ${nic} RX queue ${queue}: ${claimedTwice(nic, queue, other)}`);
  if (recorded && !sameStack(recorded.urn, owner.urn)) return new NetkitError(`cannot adopt the lease of ${nic} RX queue ${queue}: ${heldElsewhere(recorded, nicIfindex, queue)}`);
  return undefined;
}

/** A lease another stack's resource holds, by the host's record. */
export function heldElsewhere(r: OwnerRecord, nicIfindex: number, queue: number): string {
  const { stack, project } = urnParts(r.urn);
  return (
    `${describeClaimant(r)} of stack ${stack} (project ${project}) holds it, as this host records (${OWNER_DIR}/${ownerKey(nicIfindex, queue)}): one lease has one owner. ` +
    "Declare it in that stack only; if no stack manages it any more, end it by replacing its device, or remove that record"
  );
}
