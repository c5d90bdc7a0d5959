// A create whose connection dropped: settled from the host's journal, never retried blindly,
// so that a re-run starts clean and a device that is not the stack's is never touched.
import type { ConnectionInput } from "../connection";
import { FailedToInitializeError, NetkitError } from "../errors";
import type { HostClient } from "../host/client";
import { where, type DeleteOutcome, type DeviceRef } from "../host/netkit";
import { CreateInDoubt } from "../host/in-doubt";
import { deleteNetkit, settleCreate } from "../host/netkit-ops";
import { isAmbiguous } from "../ssh/ambiguous";
import { connectionOf, hostFor } from "./hosts";

/**
 * Runs a create; if the connection dropped after the request was sent (the kernel may or may
 * not have made the device), reconnects, reads the host's journal of the create's batch and
 * deletes the device only if that batch made it, so that a re-run starts clean and a device
 * of the same name that is not ours is never touched. Nothing is retried blindly. If the host cannot be
 * reached again, the device may exist: the error then carries the resource's id and inputs,
 * which Pulumi records as a resource that failed to initialize, so that `pulumi refresh`
 * settles it from the host (dropped if absent) instead of leaving an unmanaged device that
 * the next `up` would collide with.
 */
export async function createOrClean<T>(
  conn: ConnectionInput | undefined,
  ref: DeviceRef,
  what: string,
  pending: { id: string; inputs: object },
  create: () => Promise<T>,
): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (!isAmbiguous(err)) throw err;
    let host: HostClient;
    let left: DeleteOutcome;
    try {
      host = await hostFor(conn);
      left = err instanceof CreateInDoubt ? await settleCreate(host, ref, err) : await deleteNetkit(host, ref);
    } catch (cleanup) {
      throw new FailedToInitializeError(
        `${connectionOf(conn).host}: the connection dropped while creating ${what}, and checking the host afterwards failed too ` +
          `(${(cleanup as Error).message}); the device may exist, so it is kept in the state: run \`pulumi refresh\` once the host is reachable`,
        pending.id,
        pending.inputs,
        { cause: err },
      );
    }
    const outcome =
      left.outcome === "deleted"
        ? "the device it had made was deleted again; nothing changed on the host"
        : left.outcome === "foreign"
          ? `the create had not made a device; ${where(ref)} there now is ${left.found}, which is not this stack's and was left alone`
          : "no device was left behind; nothing changed on the host";
    throw new NetkitError(`${host.host}: the connection dropped while creating ${what}; ${outcome}; re-run to create it`, { cause: err });
  }
}
