// The one mapper from a relay op's failure to the error a user reads: host, operation,
// errno, the kernel's extack message and what to do (each caller brings its hints).
import { NetkitError, NetlinkError } from "../errors";
import type { BatchResults } from "./batch";
import { missingFeature } from "../features";
import { errnoName, type RelayResult } from "./relay";

/** What to do about a refusal, by errno name and extack text; undefined: nothing to add. */
export type Hint = (errnoName: string, extack: string | undefined) => string | undefined;

export function opFailure(host: string, label: string, r: RelayResult | undefined, release: string, hint: Hint): NetkitError {
  if (r?.kind === "oserror") {
    const name = errnoName(r.errno);
    const h = hint(name, undefined);
    return new NetkitError(`${host}: ${label} failed: ${r.path ? `${r.path}: ` : ""}${name} (${r.message})${h ? ` — ${h}` : ""}`);
  }
  if (r?.kind === "bpf" || r?.kind === "ioctl") {
    const name = errnoName(r.errno);
    const h = hint(name, undefined);
    return new NetkitError(`${host}: ${label} failed: ${name}${h ? ` — ${h}` : ""}`);
  }
  if (r?.kind === "exception") return new NetkitError(`${host}: ${label} failed in the relay: ${r.message}`);
  if (r?.kind === "skipped" && r.reason === "deadline")
    return new NetkitError(`${host}: ${label} did not run: the operation's time limit (operationTimeoutMs) ran out on the host`);
  if (r?.kind !== "netlink") return new NetkitError(`${host}: ${label} failed: no result`);
  if (r.mismatch) return new NetkitError(`${host}: ${label}: the device there is not the one expected (${r.mismatch})`);
  const { errno, message } = r.status;
  if (message === "Unknown device type") return missingFeature(host, release, "netkit");
  const name = errnoName(errno);
  return new NetlinkError(host, label, errno, name, message, hint(name, message));
}

/** The first failed op of a batch, as an error; undefined when every op that ran succeeded. */
export function firstFailure(host: string, res: BatchResults, hint: Hint): NetkitError | undefined {
  const i = res.firstFailed();
  return i < 0 ? undefined : opFailure(host, res.labels[i] ?? "relay op", res.results[i], res.release, hint);
}
