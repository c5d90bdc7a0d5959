// What the SSH layer takes to reach a host: one hop's address and credentials, the route (a
// jump host), sudo and the limits. Resources declare it, with descriptions and rules, in
// provider/connection.ts, whose parsed value is this.

/** Where an SSH server is and how to log in to it: the target and a jump host both have these. */
export interface Endpoint {
  host: string;
  port: number;
  user: string;
  privateKey?: string | undefined;
  privateKeyPassphrase?: string | undefined;
  password?: string | undefined;
  /** Path of an ssh-agent socket whose keys are offered. */
  agent?: string | undefined;
  /** A known_hosts line, a public key line or a SHA256 fingerprint. */
  hostKey?: string | undefined;
}

/** sudo for a login user other than root: passwordless (true), or with the user's password. */
export type Sudo = boolean | { password: string };

export interface Connection extends Endpoint {
  jumpHost?: Endpoint | undefined;
  sudo: Sudo;
  connectTimeoutMs: number;
  dialAttempts: number;
  operationTimeoutMs: number;
  insecureSkipHostKeyCheck: boolean;
  maxSessions: number;
}

/** "user@host:port" of one hop, as logs and errors name it. */
export function endpointId(e: Endpoint): string {
  return `${e.user}@${e.host}:${e.port}`;
}

/** Identity of a host connection, including the route to it: operations on the same key share one SSH session. */
export function connectionKey(c: Connection): string {
  return c.jumpHost ? `${endpointId(c)} via ${endpointId(c.jumpHost)}` : endpointId(c);
}
