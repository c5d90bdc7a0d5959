// Process-wide state of a provider process: the configured default connection, and the hosts
// it talks to (one SSH session and one host client per host and connection). It lives here,
// in the process that runs CRUD, and is never reachable from a serialized provider closure.
import type { Logger } from "./log";
import { SessionPool, type PoolStats } from "./ssh/pool";
import type { SshSession } from "./ssh/session";
import type { ConnectionInput } from "./connection";
import type { Connection } from "./ssh/connection";
import { HostClient } from "./host/client";
import { DEFAULT_SETTINGS, type ProviderSettings } from "./config";

let defaults: Partial<ConnectionInput> = {};
let settings: ProviderSettings = DEFAULT_SETTINGS;

/** The provider's settings from its configuration (config.ts). */
export function setProviderSettings(s: ProviderSettings): void {
  settings = { ...s };
}
export function providerSettings(): ProviderSettings {
  return settings;
}

/** The configured default connection (set by the providers' configure; see config.ts). */
export function setConnectionDefaults(c: Partial<ConnectionInput>): void {
  defaults = { ...c };
}
export function connectionDefaults(): Partial<ConnectionInput> {
  return defaults;
}

/** How a provider process reaches a host: over SSH by default; the controller tier replays recorded ones. */
export type HostOpener = (c: Connection, log: Logger) => Promise<HostClient>;

/** A host client per SSH session: the session is shared by every resource on the host. */
export class HostPool {
  private readonly sessions: SessionPool;
  private readonly clients = new WeakMap<SshSession, HostClient>();

  constructor(
    private readonly log: Logger,
    private readonly open?: HostOpener,
  ) {
    this.sessions = new SessionPool(log);
  }

  /** The SSH session to the host (for tests that act on the connection itself). */
  session(c: Connection): Promise<SshSession> {
    return this.sessions.get(c);
  }

  async get(c: Connection): Promise<HostClient> {
    if (this.open) return this.open(c, this.log);
    const session = await this.sessions.get(c);
    let client = this.clients.get(session);
    if (!client) this.clients.set(session, (client = HostClient.overSsh(session, this.log)));
    return client;
  }

  stats(): PoolStats {
    return this.sessions.stats();
  }

  closeAll(): void {
    this.sessions.closeAll();
  }
}

let pool: HostPool | undefined;
let opener: HostOpener | undefined;

/** Reaches hosts through `open` instead of SSH until the returned function is called. */
export function useHosts(open: HostOpener): () => void {
  closeSessions();
  opener = open;
  return () => {
    opener = undefined;
    closeSessions();
  };
}

let closesOnExit = false;

export function hostPool(log: Logger): HostPool {
  if (!pool) {
    pool = new HostPool(log, opener);
    // The provider process ends with the `pulumi` run; close connections cleanly then (one
    // listener, whatever pool is current: tests start a new pool per file).
    if (!closesOnExit) process.once("beforeExit", () => pool?.closeAll());
    closesOnExit = true;
  }
  return pool;
}

/** Closes every session (tests; a provider process just exits). */
export function closeSessions(): void {
  pool?.closeAll();
  pool = undefined;
}
