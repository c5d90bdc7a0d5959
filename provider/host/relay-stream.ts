// The long-lived relay of one SSH session: one python3 (relay.py serve) for the whole
// `pulumi` run, started on first use, with requests streamed to it over its one exec channel
// as JSON lines, each tagged with a run number, and answered one line each as they complete.
// A round trip costs a channel message instead of an exec and a python3 start. The relay
// keeps each request's own deadline (counted from its arrival) and the host's writer lock per
// writing request; a request that outlives the operation's time limit, or a stream that ends
// under its requests, fails them as ambiguous (they may have run): the journal says what did.
import { NetkitError, ProviderBugError } from "../errors";
import { AmbiguousOperationError } from "../ssh/ambiguous";
import type { RemoteStream, SshSession, StreamEnd } from "../ssh/session";
import { relayArgv, relayDeadlineMs, type WireBatch, type WireResult, type WireRun, type WireTransport } from "./relay";

interface Pending {
  batches: number;
  resolve: (r: WireResult[][]) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

/** One started relay and the requests it carries. */
interface Live {
  stream: Promise<RemoteStream>;
  pending: Map<number, Pending>;
  /** Set once it ended or was given up: new requests start another. */
  over: boolean;
}

const SHOWN = "the netlink relay";
/** What a user reads when a request may have run: and what settles it. */
const UNKNOWN_OUTCOME = "the operation may or may not have been applied on the host: `pulumi refresh` reads what it did, then `pulumi up` finishes";

export class RelayStream {
  private live?: Live;
  private nextRun = 1;
  /** relay.py processes started by this stream (one unless one ended under it). */
  started = 0;

  constructor(private readonly session: SshSession) {}

  /** The transport the relay queue sends through. */
  readonly transport: WireTransport = (batches, run) => this.send(batches, run);

  /** Ends the relay's stdin: it finishes what it has and exits. */
  close(): void {
    const l = this.live;
    this.live = undefined;
    if (l) {
      l.over = true;
      void l.stream.then(
        (s) => s.end(),
        () => undefined,
      );
    }
  }

  private async send(batches: WireBatch[], run: WireRun): Promise<WireResult[][]> {
    const timeoutMs = this.session.operationTimeoutMs;
    const live = this.current();
    const stream = await live.stream;
    const id = this.nextRun++;
    const line = JSON.stringify({ run: id, deadline_ms: relayDeadlineMs(timeoutMs), lock: run.lock, batches });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The relay answers by its own deadline, earlier than this: it is stuck, or the
        // connection is. Everything it carries is in doubt; the next request starts afresh.
        this.giveUp(live, new AmbiguousOperationError(this.session.host, "timeout", `${SHOWN} did not answer within ${timeoutMs} ms; ${UNKNOWN_OUTCOME}`));
        stream.kill();
      }, timeoutMs);
      live.pending.set(id, { batches: batches.length, resolve, reject, timer });
      stream.send(line);
    });
  }

  private current(): Live {
    if (this.live && !this.live.over) return this.live;
    const live: Live = { pending: new Map(), over: false, stream: undefined as unknown as Promise<RemoteStream> };
    live.stream = this.session.stream(relayArgv("serve"), { onLine: (l) => this.onLine(live, l), onEnd: (e) => this.giveUp(live, this.endError(e)) }, { privileged: true });
    this.started++;
    live.stream.catch(() => this.live === live && (live.over = true));
    this.live = live;
    return live;
  }

  private onLine(live: Live, line: string): void {
    let reply: { run?: number; batches?: Array<{ results: WireResult[] }>; error?: string };
    try {
      reply = JSON.parse(line) as typeof reply;
    } catch (e) {
      return this.giveUp(live, new ProviderBugError(`${this.session.host}: the netlink relay wrote a line that is not JSON (${line.length} bytes)`, { cause: e }));
    }
    const p = reply.run === undefined ? undefined : live.pending.get(reply.run);
    if (!p)
      return this.giveUp(
        live,
        new ProviderBugError(`${this.session.host}: the netlink relay answered run ${reply.run} that nobody waits for${reply.error ? `: ${reply.error}` : ""}`),
      );
    live.pending.delete(reply.run!);
    clearTimeout(p.timer);
    if (reply.batches?.length !== p.batches)
      return p.reject(new ProviderBugError(`${this.session.host}: the relay answered ${reply.batches?.length} of ${p.batches} batches${reply.error ? `: ${reply.error}` : ""}`));
    p.resolve(reply.batches.map((b) => b.results));
  }

  /** Fails every request `live` carries with `err`; the next request starts a new relay. */
  private giveUp(live: Live, err: unknown): void {
    live.over = true;
    if (this.live === live) this.live = undefined;
    for (const p of live.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    live.pending.clear();
  }

  private endError(e: StreamEnd): Error {
    const host = this.session.host;
    if (e.refused) return e.refused;
    if (e.exitCode === 127 || /python3: (command )?not found/.test(e.stderr))
      return new NetkitError(`${host}: python3 is not installed; the provider needs python3 (standard library only) on managed hosts`);
    if (e.connectionLost) return new AmbiguousOperationError(host, "transport", `the connection closed while ${SHOWN} was running; ${UNKNOWN_OUTCOME}`);
    if (e.exitCode !== 0 && e.exitCode !== null) return new NetkitError(`${host}: netlink relay failed (exit ${e.exitCode}): ${e.stderr.trim().split("\n").slice(-3).join(" ")}`);
    return new AmbiguousOperationError(host, "transport", `${SHOWN} ended (${e.signal ?? `exit ${e.exitCode}`}) before it answered; ${UNKNOWN_OUTCOME}`);
  }
}

/** A wire transport that holds a relay on the host until closed. */
export type ClosableWireTransport = WireTransport & { close(): void };

/**
 * The relay of `session`: one long-lived relay.py for the session, requests streamed to it.
 * close() ends it; closing the session ends it too.
 */
export function sshWireTransport(session: SshSession): ClosableWireTransport {
  const s = new RelayStream(session);
  return Object.assign(s.transport, { close: () => s.close() });
}
