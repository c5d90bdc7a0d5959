// The host client a resource's connection reaches (or, without one, the configured
// connection), and the provider process's logger.
import { connectionSchema, type ConnectionInput } from "../connection";
import type { Connection } from "../ssh/connection";
import { connectionDefaults, hostPool } from "../runtime";
import { effectiveConnection, NO_CONNECTION } from "../config";
import { NetkitError } from "../errors";
import type { HostClient } from "../host/client";
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
