// How the provider reaches a host, as every resource declares it: the fields of the SSH
// layer's Connection (ssh/connection.ts, what this parses to) with their descriptions and
// rules. The whole value is a secret in state because it carries credentials. A different
// host or port is a different device (replace); new credentials, a new route (jump host) or
// new limits are an update that touches nothing on the host.
import { z } from "zod";
import { field } from "./definition/field";
import { hostKeyPinProblem } from "./ssh/hostkey";

/** A pin check can refuse for several reasons (malformed, a @revoked line …): report the one that applies. */
const hostKeyPin = z
  .string()
  .min(1)
  .superRefine((s, ctx) => {
    const problem = hostKeyPinProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** Host and user names go to DNS and sshd as they are: no whitespace or control characters. */
const plainName = z
  .string()
  .min(1)
  .refine((s) => !/[\s\x00-\x1f\x7f]/.test(s), "must not contain whitespace or control characters");

/**
 * The fields that say where an SSH server is and how to log in to it, shared by the target
 * and its jump host. Only the target's address identifies the device, so only there do
 * host and port replace on change; a different jump host is just another route.
 */
function endpointShape(role: "target" | "jump") {
  const target = role === "target";
  // The target keeps the plain wording; the jump host's fields say whose they are.
  const of = target ? "" : " of the jump host";
  return {
    host: field(plainName, {
      description: target ? "Host name or address of the SSH server (as the jump host reaches it, when there is one)." : "Host name or address of the jump host.",
      replaceOnChange: target,
    }),
    port: field(z.number().int().min(1).max(65535).default(22), { description: `SSH port${of} (default 22).`, replaceOnChange: target }),
    user: field(plainName.default("root"), { description: `User to log in${target ? "" : " to the jump host"} as (default root).` }),
    privateKey: field(z.string().min(1).optional(), { description: "Private key, OpenSSH or PEM text.", secret: true }),
    privateKeyPassphrase: field(z.string().optional(), { description: "Passphrase of an encrypted private key.", secret: true }),
    password: field(z.string().optional(), { description: "Password, where the server allows password authentication.", secret: true }),
    agent: field(z.string().min(1).optional(), {
      description:
        "Path of an ssh-agent socket whose keys are offered. Default: none; SSH_AUTH_SOCK is never read implicitly, " +
        "so what the provider offers does not depend on the environment `pulumi` runs in (pass it explicitly to use it).",
    }),
    hostKey: field(hostKeyPin.optional(), {
      description:
        `Pinned host key${of}: a known_hosts line, a public key line or a SHA256 fingerprint. A key line makes a server with several host keys ` +
        "present that one; a fingerprint matches only the key it presents by default (ed25519 before ECDSA before RSA). Lines marked @revoked or " +
        "@cert-authority are refused. Without it the key must be in ~/.ssh/known_hosts.",
    }),
  };
}

const sudoPassword = z.object({ password: field(z.string().min(1), { description: "The login user's password, as sudo asks for it.", secret: true }) }).strict();

export const jumpHostSchema = z.object(endpointShape("jump")).strict();

export const connectionSchema = z
  .object({
    ...endpointShape("target"),
    jumpHost: field(jumpHostSchema.optional(), {
      description:
        "Reach the host through this SSH server (like `ssh -J`): the target's address is resolved and dialed by the jump host, " +
        "which must allow TCP forwarding. The jump host's own key is verified like the target's. Default: connect directly.",
      // It carries the jump host's credentials: secret as a whole, like sudo.
      secret: true,
    }),
    sudo: field(z.union([z.boolean(), sudoPassword]).default(false), {
      description:
        "For a user other than root: run privileged operations through sudo. true: passwordless sudo (`sudo -n`); " +
        "{ password }: sudo with a password, sent on the command's stdin only when sudo asks for it, never on a command line. " +
        "Default false (operations run as the login user). Ignored when user is root.",
      secret: true,
    }),
    connectTimeoutMs: field(z.number().int().min(100).max(600_000).default(15_000), {
      description: "Timeout of one dial and SSH handshake (each hop), in milliseconds (default 15000).",
    }),
    dialAttempts: field(z.number().int().min(1).max(100).default(5), {
      description:
        "Dial attempts before giving up (default 5), with exponential back-off from 0.5 s. Only network failures and timeouts " +
        "are retried; authentication and host-key failures fail at once.",
    }),
    operationTimeoutMs: field(z.number().int().min(1_000).max(86_400_000).default(120_000), {
      description: "Time limit of one remote operation, in milliseconds (default 120000).",
    }),
    insecureSkipHostKeyCheck: field(z.boolean().default(false), {
      description:
        "Accept any host key of the target without checking it (default false). Anyone on the network path can then " +
        "impersonate the host; every connection logs a warning with the offered fingerprint. Pin hostKey instead.",
    }),
    maxSessions: field(z.number().int().min(1).max(256).default(8), {
      description: "Concurrent operations (SSH channels) on the one connection to this host; more wait their turn (default 8, " + "below OpenSSH's default MaxSessions of 10).",
    }),
  })
  .strict()
  .superRefine((c, ctx) => {
    // A pin that is then ignored would look like protection that is not there.
    if (c.insecureSkipHostKeyCheck && c.hostKey !== undefined) {
      ctx.addIssue({ code: "custom", path: ["insecureSkipHostKeyCheck"], message: "contradicts hostKey: pin the key or skip the check, not both" });
    }
  });

export type ConnectionInput = z.input<typeof connectionSchema>;
