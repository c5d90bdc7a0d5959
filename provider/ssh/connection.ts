// How the provider reaches a host. One type for every resource; the whole value is a
// secret in state because it carries credentials. A different host or port is a different
// device (replace); new credentials are an update that touches nothing on the host.
import { z } from "zod";
import { field } from "../spec/field";

export const connectionSchema = z
  .object({
    host: field(z.string().min(1), { description: "Host name or address of the SSH server.", replaceOnChange: true }),
    port: field(z.number().int().min(1).max(65535).default(22), { description: "SSH port (default 22).", replaceOnChange: true }),
    user: field(z.string().min(1).default("root"), { description: "User to log in as (default root)." }),
    privateKey: field(z.string().min(1).optional(), { description: "Private key, OpenSSH or PEM text.", secret: true }),
    privateKeyPassphrase: field(z.string().optional(), { description: "Passphrase of an encrypted private key.", secret: true }),
    password: field(z.string().optional(), { description: "Password, where the server allows password authentication.", secret: true }),
    hostKey: field(z.string().min(1).optional(), {
      description:
        "Pinned host key: a known_hosts line, a public key line or a SHA256 fingerprint. Without it the key must be in ~/.ssh/known_hosts.",
    }),
    connectTimeoutMs: field(z.number().int().min(100).max(600_000).default(15_000), {
      description: "Timeout of one dial and SSH handshake, in milliseconds (default 15000).",
    }),
  })
  .strict();

export type ConnectionInput = z.input<typeof connectionSchema>;
export type Connection = z.output<typeof connectionSchema>;

/** Identity of a host connection: operations on the same key share one SSH session. */
export function connectionKey(c: Connection): string {
  return `${c.user}@${c.host}:${c.port}`;
}
