// What every resource controller needs: a session for its connection, resource ids, a
// logger, and outputs without undefined members.
import { connectionSchema, type Connection, type ConnectionInput } from "../ssh/connection";
import { sessionPool } from "../runtime";
import type { SshSession } from "../ssh/session";
import type { Logger } from "../log";

/** Provider-process logger: stderr, which the engine records in its log (debug only when asked). */
export const providerLog: Logger = {
  debug: (m) => process.env.NETKIT_DEBUG && console.error(`[netkit] ${m}`),
  info: (m) => console.error(`[netkit] ${m}`),
  warn: (m) => console.error(`[netkit] warning: ${m}`),
};

export function connectionOf(input: ConnectionInput): Connection {
  return connectionSchema.parse(input);
}

export function sessionFor(input: ConnectionInput): Promise<SshSession> {
  return sessionPool(providerLog).get(connectionOf(input));
}

/** "host:port/[netns/]name": unique per device on a host. */
export function deviceId(c: ConnectionInput, name: string, netns?: string): string {
  const conn = connectionOf(c);
  return `${conn.host}:${conn.port}/${netns ? `${netns}/` : ""}${name}`;
}

/** Outputs go to the engine as-is: drop undefined members rather than store nulls. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The input fields of outputs read from the kernel. `read` returns them as the resource's
 * inputs, so that after a refresh the state records the device as it really is and the
 * next preview shows a drifted value as "actual => desired".
 */
export function observedInputs<T extends object>(inputKeys: string[], outs: T): T {
  return Object.fromEntries(Object.entries(outs).filter(([k]) => inputKeys.includes(k))) as T;
}
