// A device lives on the endpoint its id names: a resource whose configured connection now
// points elsewhere refuses every operation rather than silently act on another host.
import type { ConnectionInput } from "../connection";
import { NetkitError } from "../errors";
import { endpointFor, endpointOfId } from "./ids";

/**
 * A resource without a connection of its own follows the configured one; when that now points
 * at another host or port than the one the device lives on (its id), nothing may silently act
 * on the new host: every operation refuses, saying how to move.
 */
export function hostMoved(kind: string, id: string, input: ConnectionInput | undefined): NetkitError | undefined {
  const was = endpointOfId(id);
  if (!was || input !== undefined) return undefined;
  const now = endpointFor(undefined);
  if (!now || now === was) return undefined;
  return new NetkitError(
    `${kind} ${id} lives on ${was}, but the configured connection (netkit:host, netkit:port) now points at ${now}; ` +
      `a resource never follows a changed host silently. To move it, destroy it (or remove it from the program and run pulumi up) ` +
      `while netkit:host still points at ${was}, then change netkit:host and run pulumi up; to keep it where it is, give it ` +
      `connection: { host, port, … } of ${was} explicitly, or set netkit:host and netkit:port back (and run pulumi up, which records them)`,
  );
}

/** Refuses an operation on a resource whose configured host changed (see hostMoved). */
export function requireSameHost(kind: string, id: string, input: ConnectionInput | undefined): void {
  const moved = hostMoved(kind, id, input);
  if (moved) throw moved;
}
