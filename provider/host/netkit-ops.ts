// The netkit device operations controllers use, each one relay batch on a host: the plan
// (netkit-plans.ts) run, its results read, and every failed op turned into an error in one
// place (failure.ts). create is transactional: if anything after the kernel made the device
// fails, the device is deleted again before the error is reported; an update that fails after
// a rename or move puts the device back where the state has it.
import { NetkitError, ProviderBugError } from "../errors";
import { isAmbiguous } from "../ssh/ambiguous";
import { failed, RelayBatch, type BatchHost, type BatchResults } from "./batch";
import { firstFailure, opFailure } from "./failure";
import { CreateInDoubt } from "./in-doubt";
import {
  absent,
  describeLink,
  ENODEV,
  ENOENT,
  linkOf,
  netkitHint,
  where,
  type ChangeNetkit,
  type CreateNetkit,
  type DeleteOutcome,
  type DeviceRef,
  type NetkitDevices,
  type OwnedDevice,
  type ReadDevices,
} from "./netkit";
import { HELD_DELETE_WAIT_MS, planChange, planCreate, planDelete, planMoveBack, planRead, planRollback, unrelocatable } from "./netkit-plans";
import { decodeResult, type RelayResult } from "./relay";

/** A delete the kernel holds up (see deleteNetkit): the device is unlisted, its unregistering waits for a reference. */
export class DeleteHeldUp extends NetkitError {
  override name = "DeleteHeldUp";
}

/** Creates the devices, sets them as asked and reads them back; verifies what the kernel did. */
export async function createNetkit(host: BatchHost, c: CreateNetkit): Promise<NetkitDevices> {
  const plan = planCreate(c);
  const b = new RelayBatch();
  const at = b.addSteps(plan.steps);
  let res: BatchResults;
  try {
    res = await host.run(b);
  } catch (e) {
    if (isAmbiguous(e)) throw new CreateInDoubt(e, b.id, at(plan.create), at(plan.read.primary));
    throw e;
  }
  const made = res.errno(at(plan.create)) === 0;
  const primary = linkOf(res.at(at(plan.read.primary)));
  const peer = c.peer ? linkOf(res.at(at(plan.read.peer))) : undefined;
  let problem = firstFailure(host.host, res, netkitHint);
  if (!problem && made && (!primary || (c.peer && !peer))) problem = new NetkitError(`${host.host}: created ${where(c.primary)} but could not read it back`);
  if (!problem && primary) problem = c.verify(primary, peer, { host: host.host, release: res.release });
  if (problem) {
    if (made) await rollback(host, c.primary, problem);
    throw problem;
  }
  // No failure and no device: every op ran (stop-on-error), so the read-back must have found it.
  if (!primary) throw new ProviderBugError(`${host.host}: create of ${where(c.primary)} reported no failure and no device`);
  return { primary, ...(peer ? { peer } : {}), release: res.release };
}

/** Deletes what a failed create made; the original error says whether that worked. */
async function rollback(host: BatchHost, d: DeviceRef, cause: NetkitError): Promise<void> {
  try {
    const b = new RelayBatch();
    b.addSteps(planRollback(d));
    const err = firstFailure(host.host, await host.run(b), netkitHint);
    cause.message += err ? `; rolling back failed too, delete ${where(d)} by hand: ${err.message}` : `; the device was deleted again`;
  } catch (e) {
    cause.message += `; rolling back failed, delete ${where(d)} by hand: ${(e as Error).message}`;
  }
}

/** Reads devices from the host now; a device (or netns) that does not exist reads as undefined. */
export async function readNetkit(host: BatchHost, primary: DeviceRef, peer?: DeviceRef): Promise<ReadDevices> {
  const plan = planRead(primary, peer);
  const b = new RelayBatch({ readOnly: true });
  const at = b.addSteps(plan.steps);
  const res = await host.run(b, false);
  const [i, j] = [at(plan.read.primary), at(plan.read.peer)];
  for (const k of [i, j]) if (k >= 0 && failed(res.at(k)) && !absent(res.at(k))) throw opFailure(host.host, res.labels[k] ?? "relay op", res.at(k), res.release, netkitHint);
  const out: ReadDevices = { release: res.release };
  const p = linkOf(res.at(i));
  if (p) out.primary = p;
  const q = peer ? linkOf(res.at(j)) : undefined;
  if (q) out.peer = q;
  return out;
}

/**
 * In-place changes, then a read-back; the first refusal stops the batch. The batch first
 * checks both devices are the ones the state recorded: a device that took the name since
 * is never changed.
 */
export async function changeNetkit(host: BatchHost, c: ChangeNetkit): Promise<NetkitDevices> {
  const stuck = unrelocatable(c);
  if (stuck) throw new NetkitError(`${host.host}: cannot rename or move ${where(stuck)}: the state has no ifindex for it; run \`pulumi refresh\` first`);
  const plan = planChange(c);
  const b = new RelayBatch();
  const at = b.addSteps(plan.steps);
  const res = await host.run(b);
  for (const g of plan.guards) {
    const r = res.at(at(g.step));
    if (absent(r) || (r?.kind === "netlink" && r.mismatch !== undefined))
      throw new NetkitError(
        `${host.host}: refusing to change ${where(g.device)}: it is not the device this stack manages (found ${describeLink(linkOf(r, true))}, ` +
          `recorded ifindex ${g.device.ifindex ?? "unknown"}); \`pulumi refresh\` drops the stale record, then \`pulumi up\` creates it anew`,
      );
  }
  const err = firstFailure(host.host, res, netkitHint);
  if (err) {
    // A device renamed or moved by this batch goes back, so that the state (which keeps the
    // old name and netns when an update fails) still finds it.
    for (const m of plan.moves.filter((x) => res.errno(at(x.step)) === 0).reverse()) await moveBack(host, m.to, m.from, err);
    throw err;
  }
  const p = linkOf(res.at(at(plan.read.primary)));
  if (!p) throw new NetkitError(`${host.host}: ${where(plan.primary)} vanished during the update`);
  const q = plan.peer ? linkOf(res.at(at(plan.read.peer))) : undefined;
  return { primary: p, ...(q ? { peer: q } : {}), release: res.release };
}

/** Undoes a rename or move after a failed update; the update's error says whether that worked. */
async function moveBack(host: BatchHost, now: DeviceRef, was: OwnedDevice, cause: NetkitError): Promise<void> {
  try {
    const { primary: d } = await readNetkit(host, now);
    if (!d) throw new NetkitError(`${where(now)} is not there`);
    const b = new RelayBatch();
    b.addSteps(planMoveBack(now, was, d.ifindex));
    const e = firstFailure(host.host, await host.run(b), netkitHint);
    if (e) throw e;
    cause.message += `; ${where(now)} was moved back to ${where(was)}, where the state has it (it may be down: run \`pulumi up\` again)`;
  } catch (e) {
    cause.message += `; moving ${where(now)} back to ${where(was)} failed too (${(e as Error).message}): run \`pulumi refresh\` after fixing it by hand`;
  }
}

/**
 * Deletes the netkit primary the state recorded, and only it; a device that took the name
 * since is left alone ("foreign"). Deleting the primary removes its peer. `mayBeHeld`: see
 * planDelete.
 */
export async function deleteNetkit(host: BatchHost, d: OwnedDevice, opts: { mayBeHeld?: boolean } = {}): Promise<DeleteOutcome> {
  const plan = planDelete(d, opts);
  const b = new RelayBatch();
  const at = b.addSteps(plan.steps);
  const res = await host.run(b);
  const found = res.at(at(plan.check));
  if (absent(found) || res.errno(at(plan.del)) === ENODEV) return { outcome: "gone" };
  if (found?.kind === "netlink" && found.mismatch !== undefined) return { outcome: "foreign", found: describeLink(linkOf(found, true)) };
  const held = res.at(at(plan.del));
  if (held?.kind === "oserror" && held.pending !== undefined)
    throw new DeleteHeldUp(
      `${host.host}: deleting ${where(d)} is held up in the kernel: it unregisters a device only once every reference to it is gone, and after ${HELD_DELETE_WAIT_MS / 1000} s one still was ` +
        `(process ${held.pending} on the host keeps waiting and finishes the delete when it drops; the device is no longer listed)`,
    );
  const err = firstFailure(host.host, res, netkitHint);
  if (err) throw err;
  return { outcome: "deleted" };
}

/**
 * After a create whose connection dropped: what the create's batch did, from the host's
 * journal (read under the host's writer lock, so a relay still running finishes first), and
 * a delete of the device only if the journal proves that batch made it.
 */
export async function settleCreate(host: BatchHost, d: DeviceRef, doubt: CreateInDoubt): Promise<DeleteOutcome> {
  const b = new RelayBatch();
  const j = b.add(`read the host's journal of the interrupted create of ${where(d)}`, { op: "journal", batch: doubt.batchId });
  const res = await host.run(b, false);
  const r = res.at(j);
  // No journal: the relay never started that batch.
  if (r?.kind === "oserror" && r.errno === ENOENT) return { outcome: "gone" };
  if (r?.kind !== "data") throw opFailure(host.host, res.labels[j] ?? "relay op", r, res.release, netkitHint);
  const ops = new Map<number, RelayResult>();
  for (const line of r.data.toString().split("\n").filter(Boolean)) {
    const entry = JSON.parse(line) as { op?: number } & Record<string, unknown>;
    if (entry.op !== undefined) ops.set(entry.op, decodeResult(entry));
  }
  const created = ops.get(doubt.createOp);
  if (created?.kind !== "netlink" || created.status.errno !== 0) return { outcome: "gone" };
  const made = linkOf(ops.get(doubt.readOp));
  return deleteNetkit(host, { ...d, ...(made ? { ifindex: made.ifindex } : {}) });
}
