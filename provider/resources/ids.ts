// Resource ids: "host:port/[netns/]name", unique per device on a host; `pulumi import` names
// a device by the id it will have, and reads it through the configured connection.
import type { ConnectionInput } from "../connection";
import { connectionSchema } from "../connection";
import { connectionDefaults } from "../runtime";
import { effectiveConnection } from "../config";
import { NetkitError } from "../errors";
import { interfaceName, netnsRef } from "./fields";
import type { HostClient } from "../host/client";
import { connectionOf, hostFor } from "./hosts";

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
