// One authenticated SSH connection to one host (through its jump host, if any); operations
// run as channels on it, at most maxSessions at a time. Host keys are always verified
// unless the connection explicitly says not to. Nothing secret leaves this layer: every
// message and log line passes through the connection's redactor.
import type { Client } from "ssh2";
import { SshError, RemoteCommandError } from "../errors";
import type { Logger } from "../log";
import { toCommandLine, displayArgv } from "./argv";
import { runOnChannel, type ExecResult } from "./channel";
import { connectionKey, endpointId, type Connection } from "./connection";
import { dialWithRetries } from "./dial";
import { handshake } from "./handshake";
import { forwardThrough } from "./jump";
import { connectionSecrets, redactError, redactor, redactingLogger, type Redact } from "./redact";
import { Semaphore } from "./semaphore";
import { openWithRetries } from "./open-retry";
import { sudoArgv, sudoMode } from "./sudo";
import { openStream, type RemoteStream, type StreamEnd } from "./stream";

export type { ExecResult } from "./channel";
export type { RemoteStream, StreamEnd } from "./stream";
export { isAmbiguous, AmbiguousOperationError } from "./ambiguous";

export interface ExecOptions {
  stdin?: string | Buffer;
  /** Time limit of this operation, queueing included; default connection.operationTimeoutMs. */
  timeoutMs?: number;
  /** Run as root: through sudo when the connection says so (a non-root user with sudo set). */
  privileged?: boolean;
}

export interface OpenOptions {
  /** Called after each successful SSH authentication (target and jump host), with "user@host:port". */
  onHandshake?: (id: string) => void;
}

/** The connections of one session: the target and, when there is one, the jump host carrying it. */
interface Link {
  target: Client;
  jump?: Client;
}

async function dialOnce(c: Connection, log: Logger, redact: Redact, opts: OpenOptions): Promise<Link> {
  const id = endpointId(c);
  const target = { id, endpoint: c, readyTimeoutMs: c.connectTimeoutMs, pinField: "connection.hostKey", insecureSkipHostKeyCheck: c.insecureSkipHostKeyCheck, redact };
  if (!c.jumpHost) {
    const client = await handshake(target, log);
    opts.onHandshake?.(id);
    return { target: client };
  }
  const jumpId = endpointId(c.jumpHost);
  const jump = await handshake({ id: jumpId, endpoint: c.jumpHost, readyTimeoutMs: c.connectTimeoutMs, pinField: "connection.jumpHost.hostKey", redact }, log);
  opts.onHandshake?.(jumpId);
  try {
    const sock = await forwardThrough(jump, jumpId, id, c.host, c.port);
    const client = await handshake({ ...target, sock }, log);
    opts.onHandshake?.(id);
    return { target: client, jump };
  } catch (err) {
    jump.end();
    throw err;
  }
}

export class SshSession {
  private closed = false;
  private readonly slots: Semaphore;

  private constructor(
    private readonly link: Link,
    private readonly conn: Connection,
    /** "user@host:port" of the target, as messages name it. */
    readonly host: string,
    private readonly log: Logger,
    private readonly redact: Redact,
  ) {
    this.slots = new Semaphore(conn.maxSessions);
    const { target, jump } = link;
    // After the handshake, errors (a reset, a failed keepalive) only mean the connection
    // is gone; 'close' follows. Without a listener Node would throw them.
    const gone = (why: string) => {
      if (!this.closed) log.debug(`ssh ${connectionKey(conn)}: ${why}`);
      this.closed = true;
    };
    target.on("error", (e: Error) => gone(`connection error: ${redact(e.message)}`));
    target.on("end", () => gone("connection ended"));
    target.on("close", () => {
      gone("connection closed");
      jump?.end(); // the jump connection only exists to carry this one
    });
    jump?.on("error", (e: Error) => gone(`jump host connection error: ${redact(e.message)}`));
    jump?.on("close", () => {
      gone("jump host connection closed");
      target.end();
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** The connection's time limit of one operation (exec's default). */
  get operationTimeoutMs(): number {
    return this.conn.operationTimeoutMs;
  }

  /** Dials (with retries for network failures), verifies host keys, authenticates. */
  static async open(c: Connection, log: Logger, opts: OpenOptions = {}): Promise<SshSession> {
    const redact = redactor(connectionSecrets(c));
    const safeLog = redactingLogger(log, redact);
    const id = endpointId(c);
    const started = Date.now();
    const link = await dialWithRetries(id, c.dialAttempts, safeLog, () => dialOnce(c, safeLog, redact, opts)).catch((e: unknown) => {
      throw redactError(e, redact);
    });
    safeLog.debug(`ssh ${connectionKey(c)}: connected in ${Date.now() - started} ms`);
    return new SshSession(link, c, id, safeLog, redact);
  }

  /**
   * What exec and stream share before a channel opens: the command line (through sudo when
   * privileged), the deadline, and one of the connection's session slots. Queueing counts
   * against the time limit, but an operation that never left the queue was never sent: a
   * plain timeout, not an ambiguous one.
   */
  private async start(argv: readonly string[], opts: Omit<ExecOptions, "stdin">) {
    const timeoutMs = opts.timeoutMs ?? this.conn.operationTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    const shown = displayArgv(argv);
    const sudo = opts.privileged ? sudoMode(this.conn) : undefined;
    const command = toCommandLine(sudo ? sudoArgv(argv, sudo) : argv);
    const release = await this.slots.acquire(AbortSignal.timeout(timeoutMs)).catch(() => {
      throw new SshError(this.host, "timeout", `${shown} did not start within ${timeoutMs} ms: all ${this.slots.limit} sessions stayed busy`);
    });
    return { timeoutMs, deadline, shown, sudo, command, release };
  }

  /** Runs argv on the host; resolves with the exit status whatever it is. */
  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const { timeoutMs, deadline, shown, sudo, command, release } = await this.start(argv, opts);
    try {
      const run = {
        client: this.link.target,
        host: this.host,
        command,
        shown,
        user: this.conn.user,
        deadline,
        timeoutMs,
        isOpen: () => this.isOpen,
        log: this.log,
        redact: this.redact,
      };
      const once = () => runOnChannel({ ...run, ...(opts.stdin !== undefined && { stdin: opts.stdin }), ...(sudo && { sudo }) });
      return await openWithRetries(once, { host: this.host, deadline, isOpen: () => this.isOpen, log: this.log });
    } catch (e) {
      throw redactError(e, this.redact);
    } finally {
      release();
    }
  }

  /**
   * Starts argv as a long-lived command spoken to in lines (stream.ts). It holds one of the
   * connection's maxSessions slots until it ends. A refused channel open is retried as exec's is.
   */
  async stream(argv: readonly string[], handlers: { onLine(line: string): void; onEnd(end: StreamEnd): void }, opts: Omit<ExecOptions, "stdin"> = {}): Promise<RemoteStream> {
    const { deadline, shown, sudo, command, release } = await this.start(argv, opts);
    const run = {
      client: this.link.target,
      host: this.host,
      command,
      shown,
      user: this.conn.user,
      isOpen: () => this.isOpen,
      log: this.log,
      redact: this.redact,
      onLine: (line: string) => handlers.onLine(line),
      onEnd: (end: StreamEnd) => {
        release();
        handlers.onEnd(end);
      },
      ...(sudo && { sudo }),
    };
    try {
      return await openWithRetries(() => openStream(run), { host: this.host, deadline, isOpen: () => this.isOpen, log: this.log });
    } catch (e) {
      release();
      throw redactError(e, this.redact);
    }
  }

  /** Like exec, but a non-zero exit becomes a RemoteCommandError. */
  async run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.exec(argv, opts);
    if (r.exitCode !== 0) throw new RemoteCommandError(this.host, displayArgv(argv), r.exitCode, this.redact(r.stderr.toString()));
    return r;
  }

  /** Closes the connection, and the jump host's with it. */
  close(): void {
    this.closed = true;
    this.link.target.end();
    this.link.jump?.end();
  }
}
