// Whether the device a name finds now is the one the state recorded, and what a delete
// says about one that is gone or that took the name since: the stack acts only on its own.
import type { DeleteOutcome } from "../host/netkit";
import { providerLog } from "./hosts";

/**
 * What `pulumi destroy` (and a replacement) says about a delete: a device already gone is fine
 * (a warning), and one that took the name since is not ours: left alone, with a warning that
 * names it; the resource leaves the state either way.
 */
export function reportDelete(id: string, host: string, name: string, d: DeleteOutcome): void {
  if (d.outcome === "gone") providerLog.warn(`${id} was already gone`);
  if (d.outcome === "foreign") providerLog.warn(`${id}: ${host}: ${name} is now ${d.found}, not the device this stack created; left it alone`);
}

/**
 * Whether a device read by name is the one the state recorded (its ifindex); a device that
 * took the name since is not ours: refresh drops the record, saying so.
 */
export function isRecorded(id: string, host: string, name: string, recordedIfindex: number | undefined, found: { ifindex: number; kind?: string }): boolean {
  if (recordedIfindex === undefined || found.ifindex === recordedIfindex) return true;
  providerLog.warn(
    `${id}: ${host}: ${name} is now ${found.kind ? `a ${found.kind} device` : "a device"} with ifindex ${found.ifindex}, not the one this stack created ` +
      `(ifindex ${recordedIfindex}); dropping it from the state and leaving it alone`,
  );
  return false;
}
