// What every resource controller needs: the host client for its connection, resource ids,
// the kernel features its inputs need, a logger, and outputs without undefined members.
import { isDeepStrictEqual } from "node:util";
import { connectionSchema, type ConnectionInput } from "../connection";
import type { Connection } from "../ssh/connection";
import { connectionDefaults, hostPool } from "../runtime";
import { effectiveConnection, NO_CONNECTION } from "../config";
import { type CapabilityError, FailedToInitializeError, NetkitError, ProviderBugError } from "../errors";
import type { HostClient } from "../host/client";
import { isNicFeature, missingFeature, type KernelFeature } from "../features";
import type { HostFacts } from "../host/preflight";
import { where, type DeleteOutcome, type DeviceRef } from "../host/netkit";
import { CreateInDoubt } from "../host/in-doubt";
import { deleteNetkit, settleCreate } from "../host/netkit-ops";
import { fieldMeta } from "../definition/field";
import { interfaceName, netnsRef } from "./fields";
import type { ResourceDefinition } from "../definition/resource";
import { isAmbiguous } from "../ssh/ambiguous";
import type { Logger } from "../log";
import { engineLogger } from "../engine-log";

/** Provider-process logger: the Pulumi engine's log (see engine-log.ts). */
export const providerLog: Logger = engineLogger;

/** The resource's connection, or the configured one (config.ts); check has made sure there is one. */
export function connectionOf(input: ConnectionInput | undefined): Connection {
  const c = effectiveConnection(input, connectionDefaults());
  if (!c) throw new NetkitError(`connection: ${NO_CONNECTION}`);
  return connectionSchema.parse(c);
}

/** The client of the host the resource's connection (or the configured one) reaches. */
export function hostFor(input: ConnectionInput | undefined): Promise<HostClient> {
  return hostPool(providerLog).get(connectionOf(input));
}

/** "host:port/[netns/]name": unique per device on a host. */
export function deviceId(c: ConnectionInput | undefined, name: string, netns?: string): string {
  const conn = connectionOf(c);
  return `${conn.host}:${conn.port}/${netns ? `${netns}/` : ""}${name}`;
}

/** A device id taken apart: `pulumi import` names the device to adopt by the id it will have. */
export function parseDeviceId(id: string): { host: string; port: number; netns?: string; name: string } {
  const slash = id.indexOf("/");
  const colon = id.lastIndexOf(":", slash);
  const port = Number(id.slice(colon + 1, slash));
  const path = id.slice(slash + 1);
  const name = path.slice(path.lastIndexOf("/") + 1);
  const netns = path.slice(0, Math.max(0, path.lastIndexOf("/")));
  if (slash < 0 || colon <= 0 || !Number.isInteger(port) || !name)
    throw new NetkitError(`import id "${id}": expected HOST:PORT/NAME or HOST:PORT/NETNS/NAME, e.g. 10.0.0.5:22/nk0`);
  // The same rules as a declared name and netns: an id reaches the host only as they would.
  for (const [what, schema, v] of [
    ["the device name", interfaceName, name],
    ["the netns", netnsRef, netns],
  ] as const) {
    const r = v ? schema.safeParse(v) : undefined;
    if (r && !r.success) throw new NetkitError(`import id "${id}": ${what} ${JSON.stringify(v)} ${r.error.issues[0]?.message ?? "is invalid"}`);
  }
  return { host: id.slice(0, colon), port, name, ...(netns ? { netns } : {}) };
}

/**
 * The host an import reads through: the configured connection (an imported resource has no
 * connection of its own yet), which must point at the host the id names.
 */
export function importHost(id: string): Promise<HostClient> {
  const want = parseDeviceId(id);
  const c = connectionOf(undefined);
  if (c.host !== want.host || c.port !== want.port)
    throw new NetkitError(`import id "${id}": the configured connection is ${c.host}:${c.port}; set netkit:host/netkit:port to the host to import from`);
  return hostFor(undefined);
}

/** Outputs go to the engine as-is: drop undefined members rather than store nulls. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * An output listing the input fields the program declared (set, or given a default by the
 * definition): refresh reports only those as inputs, so that values the kernel chose for the
 * others never show as changes in a preview.
 */
export const DECLARED = "__declared";

/** Outputs with the fields `inputs` declares recorded (or kept, when `inputs` are a read's old outputs). */
export function withDeclared<T extends object>(inputKeys: string[], inputs: object, outs: T): T {
  const kept = (inputs as Record<string, unknown>)[DECLARED];
  const declared = Array.isArray(kept) ? (kept as string[]) : inputKeys.filter((k) => (inputs as Record<string, unknown>)[k] !== undefined);
  return { ...outs, [DECLARED]: declared };
}

/**
 * The declared input fields of outputs read from the kernel. `read` returns them as the
 * resource's inputs, so that after a refresh the state records the device as it really is and
 * the next preview shows a drifted value as "actual => desired", and nothing else.
 */
export function observedInputs<T extends object>(inputKeys: string[], outs: T): T {
  const declared = (outs as Record<string, unknown>)[DECLARED];
  const keys = Array.isArray(declared) ? inputKeys.filter((k) => (declared as string[]).includes(k)) : inputKeys;
  return Object.fromEntries(Object.entries(outs).filter(([k]) => keys.includes(k))) as T;
}

/**
 * The first kernel feature `inputs` need that the host lacks, as the error to raise: netkit
 * itself, the resource's own needs, then each field set to a value that needs a feature (see
 * FieldMeta.needs). Fields left unset, or at what a kernel without the feature does anyway,
 * need nothing.
 */
export function missingFeatureFor(spec: ResourceDefinition, inputs: Record<string, unknown>, f: HostFacts): CapabilityError | undefined {
  const fields = Object.entries(spec.inputs.shape).map(([key, schema]) => ({ key, need: fieldMeta.get(schema)?.needs }));
  if (!f.nicProbed && [...resourceNeeds(spec), ...fields.map((x) => x.need?.feature)].some((x) => x && isNicFeature(x)))
    throw new ProviderBugError(`${spec.name} needs NIC features, but the facts checked are the host's without the NIC side (use factsFor)`);
  for (const feature of resourceNeeds(spec)) if (!f.has[feature]) return missingFeature(f.host, f.kernelRelease, feature, spec.name);
  for (const { key, need } of fields) {
    const v = inputs[key];
    if (!need || v === undefined || isDeepStrictEqual(v, need.except) || f.has[need.feature]) continue;
    const leave = need.except === undefined ? `leave ${key} unset on this host` : `leave ${key} unset (or ${JSON.stringify(need.except)}) on this host`;
    return missingFeature(f.host, f.kernelRelease, need.feature, `${key} ${JSON.stringify(v)}`, leave);
  }
  return undefined;
}

/** What every instance of a resource needs: netkit, unless it is a NIC resource, and its own needs. */
export function resourceNeeds(spec: ResourceDefinition): KernelFeature[] {
  const own = spec.needs ?? [];
  return own.some(isNicFeature) ? own : ["netkit", ...own];
}

/** The host's facts as `spec` needs them checked: with the NIC side probed for a resource (or field) that needs it. */
export function factsFor(host: HostClient, spec: ResourceDefinition): Promise<HostFacts> {
  const needs = [...(spec.needs ?? []), ...Object.values(spec.inputs.shape).map((s) => fieldMeta.get(s as never)?.needs?.feature)];
  return needs.some((x) => x && isNicFeature(x)) ? host.nicFacts() : host.facts();
}

/** Fails with what is missing and which kernel runs, before anything is changed on the host. */
export async function requireFeatures(host: HostClient, spec: ResourceDefinition, inputs: object): Promise<HostFacts> {
  const f = await factsFor(host, spec);
  const missing = missingFeatureFor(spec, inputs as Record<string, unknown>, f);
  if (missing) throw missing;
  return f;
}

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

/** "host:port" of a resource id (ids start with the endpoint the device lives on); undefined for anything else. */
export function endpointOfId(id: string): string | undefined {
  const slash = id.indexOf("/");
  return slash > 0 ? id.slice(0, slash) : undefined;
}

/** Where a resource's connection (or, without one, the configured one) reaches now: "host:port". */
export function endpointFor(input: ConnectionInput | undefined): string | undefined {
  const c = effectiveConnection(input, connectionDefaults());
  if (!c) return undefined;
  const parsed = connectionSchema.safeParse(c);
  return parsed.success ? `${parsed.data.host}:${parsed.data.port}` : undefined;
}

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
