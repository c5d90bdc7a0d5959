// One SSH hop: dial (or use a given stream, for a hop behind a jump host), verify the host
// key, authenticate. Every failure becomes an SshError whose kind decides whether a retry
// can help, with ssh2's wording cleaned of anything secret.
import type { Duplex } from "node:stream";
import { Client, type AuthenticationType, type ConnectConfig } from "ssh2";
import { SshError, type SshFailureKind } from "../errors";
import type { Logger } from "../log";
import type { Endpoint } from "./connection";
import { hostKeyPolicy } from "./host-verifier";
import type { Redact } from "./redact";

export interface Hop {
  /** "user@host:port", as errors and logs name this hop. */
  id: string;
  endpoint: Endpoint;
  readyTimeoutMs: number;
  /** Where the user pins this hop's host key, for messages. */
  pinField: string;
  insecureSkipHostKeyCheck?: boolean;
  /** An already connected stream to the server (a jump host's forwarded channel); default: dial TCP. */
  sock?: Duplex;
  redact: Redact;
}

type Ssh2Error = Error & { level?: string; code?: string };

/** ssh2's wording when the server offers none of the host key algorithms asked for. */
const NO_COMMON_HOST_KEY = /no matching host key format/;

function classify(err: Ssh2Error): SshFailureKind {
  if (err.level === "client-authentication" || err.level === "agent") return "authentication";
  if (err.level === "client-timeout" || /timed out/i.test(err.message)) return "timeout";
  // The server hung up before its banner: sshd restarting or over MaxStartups; worth a retry.
  if (/Connection lost before handshake/.test(err.message)) return "transport";
  if (err.level === "client-socket" || err.level === "client-dns" || err.code) return "transport";
  return "protocol";
}

/** The auth methods ssh2 should try, in order: keys before passwords. */
function authMethods(e: Endpoint): AuthenticationType[] {
  const m: AuthenticationType[] = [];
  if (e.privateKey) m.push("publickey");
  if (e.agent) m.push("agent");
  if (e.password !== undefined) m.push("password");
  return m;
}

export function handshake(hop: Hop, log: Logger): Promise<Client> {
  const { id, endpoint: e, redact } = hop;
  const policy = hostKeyPolicy(e, { id, log, pinField: hop.pinField, insecure: hop.insecureSkipHostKeyCheck ?? false });
  const methods = authMethods(e);
  let refused: string | undefined;
  let agentFailure: string | undefined;
  const config: ConnectConfig = {
    host: e.host,
    port: e.port,
    username: e.user,
    readyTimeout: hop.readyTimeoutMs,
    keepaliveInterval: 15_000,
    authHandler: methods,
    hostVerifier: (key: Buffer) => {
      if (policy.verify(key)) return true;
      refused = policy.refusal(key);
      return false;
    },
  };
  // A pinned key line asks for its own type, so a server with several host keys presents it.
  if (policy.algorithms) config.algorithms = { serverHostKey: policy.algorithms };
  if (hop.sock) config.sock = hop.sock;
  if (e.privateKey) config.privateKey = e.privateKey;
  if (e.privateKeyPassphrase !== undefined) config.passphrase = e.privateKeyPassphrase;
  if (e.password !== undefined) config.password = e.password;
  if (e.agent) config.agent = e.agent;

  // Nothing to dial for: no server could satisfy this pin.
  if (policy.unusable) return Promise.reject(new SshError(id, "host-key", policy.unusable));
  return new Promise((resolve, reject) => {
    const client = new Client();
    const started = Date.now();
    let settled = false;
    const fail = (err: SshError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    client.once("ready", () => {
      if (settled) return;
      settled = true;
      log.debug(`ssh ${id}: authenticated in ${Date.now() - started} ms`);
      resolve(client);
    });
    client.on("error", (raw: Ssh2Error) => {
      raw.message = redact(raw.message);
      // ssh2 reports an unusable agent and goes on with the next method; remember why, in
      // case nothing else works.
      if (raw.level === "agent") {
        agentFailure = `the ssh-agent at ${e.agent} could not be used (${raw.message})`;
        return;
      }
      // ssh2 reports a refused host key as a handshake failure; say what really happened.
      if (refused) return fail(new SshError(id, "host-key", refused));
      // Asked for the pinned key's type only, and the server has no key of that type.
      if (policy.noCommonAlgorithm && NO_COMMON_HOST_KEY.test(raw.message)) return fail(new SshError(id, "host-key", policy.noCommonAlgorithm, { cause: raw }));
      const kind = classify(raw);
      if (kind === "authentication") {
        const tried = methods.length ? methods.join(", ") : "none configured (set privateKey, agent or password)";
        return fail(
          new SshError(id, kind, `authentication as ${e.user} failed: the server accepted none of the credentials (tried: ${tried})${agentFailure ? `; ${agentFailure}` : ""}`, {
            cause: raw,
          }),
        );
      }
      fail(new SshError(id, kind, raw.message, { cause: raw }));
    });
    // A stream from a jump host can close before the handshake finishes without an error.
    client.once("close", () => fail(new SshError(id, "transport", "the connection closed during the SSH handshake")));
    try {
      client.connect(config);
    } catch (err) {
      // Synchronous failures are unusable key material (or a wrong passphrase): ssh2's
      // wording is kept, the key itself never.
      fail(new SshError(id, "authentication", `cannot use the configured private key: ${redact((err as Error).message)}`));
    }
  });
}
