// One authenticated SSH connection to one host; operations run as channels on it. Host keys
// are always verified: against the pin when given, else against ~/.ssh/known_hosts.
import { Client, type ConnectConfig } from "ssh2";
import { SshError, RemoteCommandError } from "../errors";
import type { Logger } from "../log";
import { toCommandLine, displayArgv } from "./argv";
import { connectionKey, type Connection } from "./connection";
import { fingerprintOf, matchesPin, parseHostKeyPin } from "./hostkey";
import { knownHostKeys } from "./known-hosts";

export interface ExecOptions {
  stdin?: string | Buffer;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
}

function hostKeyCheck(c: Connection): { verify: (key: Buffer) => boolean; refusal: (key: Buffer) => string } {
  const where = c.port === 22 ? c.host : `[${c.host}]:${c.port}`;
  if (c.hostKey) {
    const pin = parseHostKeyPin(c.hostKey);
    return {
      verify: (key) => matchesPin(pin, key),
      refusal: (key) =>
        `host key ${fingerprintOf(key)} does not match the pinned ${pin.fingerprint}: the host changed or ` +
        `this is not the host you meant; if the change is expected, update connection.hostKey`,
    };
  }
  const known = knownHostKeys(c.host, c.port);
  return {
    verify: (key) => known.some((k) => k.equals(key)),
    refusal: (key) =>
      known.length > 0
        ? `host key ${fingerprintOf(key)} differs from the one in ~/.ssh/known_hosts for ${where}: refusing to connect`
        : `host key ${fingerprintOf(key)} of ${where} is unknown: pin it with connection.hostKey ` +
          `("${fingerprintOf(key)}") or add it to ~/.ssh/known_hosts (ssh-keyscan -p ${c.port} ${c.host})`,
  };
}

function classify(err: Error & { level?: string; code?: string }): SshError["kind"] {
  if (err.level === "client-authentication") return "authentication";
  if (err.level === "client-timeout" || /timed out/i.test(err.message)) return "timeout";
  if (err.level === "client-socket" || err.level === "client-dns" || err.code) return "transport";
  return "protocol";
}

export class SshSession {
  private closed = false;

  private constructor(
    private readonly client: Client,
    readonly host: string,
    private readonly log: Logger,
  ) {
    client.on("close", () => (this.closed = true));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  static open(c: Connection, log: Logger): Promise<SshSession> {
    const id = connectionKey(c);
    const check = hostKeyCheck(c);
    let refused: string | undefined;
    const config: ConnectConfig = {
      host: c.host,
      port: c.port,
      username: c.user,
      readyTimeout: c.connectTimeoutMs,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        if (check.verify(key)) return true;
        refused = check.refusal(key);
        return false;
      },
    };
    if (c.privateKey) config.privateKey = c.privateKey;
    if (c.privateKeyPassphrase !== undefined) config.passphrase = c.privateKeyPassphrase;
    if (c.password !== undefined) config.password = c.password;

    return new Promise((resolve, reject) => {
      const client = new Client();
      const started = Date.now();
      client
        .once("ready", () => {
          log.debug(`ssh ${id}: connected in ${Date.now() - started} ms`);
          resolve(new SshSession(client, id, log));
        })
        .once("error", (err: Error & { level?: string }) => {
          client.end();
          // ssh2 reports a refused host key as a handshake failure; say what really happened.
          if (refused) reject(new SshError(id, "host-key", refused));
          else reject(new SshError(id, classify(err), err.message, { cause: err }));
        });
      try {
        client.connect(config);
      } catch (err) {
        // Synchronous failures are bad key material: never echo the key itself.
        reject(new SshError(id, "authentication", `cannot use the configured credentials: ${(err as Error).message}`));
      }
    });
  }

  /** Runs argv on the host; resolves with the exit status whatever it is. */
  exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const command = toCommandLine(argv);
    const shown = displayArgv(argv);
    const started = Date.now();
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err) return reject(new SshError(this.host, "transport", `cannot open a channel for ${shown}: ${err.message}`, { cause: err }));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let exitCode: number | null = null;
        let signal: string | undefined;
        const timer =
          opts.timeoutMs !== undefined
            ? setTimeout(() => {
                channel.close();
                reject(new SshError(this.host, "timeout", `${shown} did not finish within ${opts.timeoutMs} ms`));
              }, opts.timeoutMs)
            : undefined;
        channel.on("data", (d: Buffer) => out.push(d));
        channel.stderr.on("data", (d: Buffer) => errOut.push(d));
        channel.on("exit", (code: number | null, sig?: string) => {
          exitCode = code;
          signal = sig;
        });
        channel.on("close", () => {
          if (timer) clearTimeout(timer);
          const result: ExecResult = { exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut), durationMs: Date.now() - started };
          if (signal) result.signal = signal;
          this.log.debug(`ssh ${this.host}: ${shown} → exit ${exitCode ?? signal} in ${result.durationMs} ms`);
          resolve(result);
        });
        channel.end(opts.stdin);
      });
    });
  }

  /** Like exec, but a non-zero exit becomes a RemoteCommandError. */
  async run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(argv, opts);
    if (r.exitCode !== 0) throw new RemoteCommandError(this.host, displayArgv(argv), r.exitCode, r.stderr.toString());
    return r;
  }

  close(): void {
    this.closed = true;
    this.client.end();
  }
}
