// How the requests to one host share relay runs. The engine runs many operations at once (one
// per resource): requests that arrive while runs are under way go together in the next run,
// each its own batch with its own stop-on-error. With a one-shot relay (a python3 start per
// run) requests also wait GATHER_MS for company; the long-lived relay (relay-stream.ts) sends
// at once, keeping STREAM_IN_FLIGHT runs under way so that the relay never waits for the
// provider.
import { randomUUID } from "node:crypto";
import type { RelayRequest, RelayResult, RelayTransport, WireBatch } from "./relay";
import { toWire } from "./relay";

/** Per relay run: bounds the stdin and the run's duration against operationTimeoutMs. */
export const MAX_BATCHES_PER_RUN = 64;
/**
 * How long a run waits for more requests before it starts. The engine answers a finished
 * batch of operations by starting the next ones within milliseconds of each other; started
 * at the first, a run would carry one and the others would wait for the next. Measured on a
 * test host at --parallel 8, 100 pairs: up 27 runs without this, 24 with 25 ms, 16 with 100
 * ms; destroy 52, 38, 27. A run costs far more (an exec and a python3 start).
 */
export const GATHER_MS = 100;
/** Runs under way at once on a long-lived relay: it answers one while the next is already there. */
export const STREAM_IN_FLIGHT = 2;

export interface QueueOptions {
  /** How long a run waits for more requests before it starts (default GATHER_MS). */
  gatherMs?: number;
  /** Runs under way at once (default 1). */
  inFlight?: number;
}

/** How requests share a long-lived relay: no waiting, two runs under way. */
export const STREAMING: QueueOptions = { gatherMs: 0, inFlight: STREAM_IN_FLIGHT };

interface Waiting {
  batch: WireBatch;
  /** The request may change the host: the run takes the host's writer lock and journals it. */
  writes: boolean;
  resolve: (r: RelayResult[]) => void;
  reject: (e: unknown) => void;
}

export class RelayQueue {
  private running = 0;
  private runs = 0;
  /** A run is about to start: requests arriving now join it. */
  private gathering = false;
  private readonly waiting: Waiting[] = [];
  private writes = 0;

  private readonly gatherMs: number;
  private readonly inFlight: number;

  constructor(
    private readonly transport: RelayTransport,
    opts: QueueOptions = {},
  ) {
    this.gatherMs = opts.gatherMs ?? GATHER_MS;
    this.inFlight = opts.inFlight ?? 1;
  }

  /** Relay runs started so far (round trips). */
  get runCount(): number {
    return this.runs;
  }

  /**
   * How many requests that may change the host were sent so far: what was read at one
   * generation may be stale at the next.
   */
  get writeGeneration(): number {
    return this.writes;
  }

  request(req: RelayRequest): Promise<RelayResult[]> {
    if (!req.readOnly) this.writes++;
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch: toWire({ ...req, id: req.id ?? randomUUID() }), writes: !req.readOnly, resolve, reject });
      this.schedule();
    });
  }

  /** Starts the next run after gatherMs, or at once when a run's worth is waiting. */
  private schedule(): void {
    if (this.running >= this.inFlight || !this.waiting.length) return;
    if (this.waiting.length >= MAX_BATCHES_PER_RUN) return void this.pump();
    if (this.gathering) return;
    this.gathering = true;
    setTimeout(() => void this.pump(), this.gatherMs);
  }

  private async pump(): Promise<void> {
    this.gathering = false;
    if (this.running >= this.inFlight || !this.waiting.length) return;
    this.running++;
    this.runs++;
    const group = this.waiting.splice(0, MAX_BATCHES_PER_RUN);
    try {
      const results = await this.transport(
        group.map((g) => g.batch),
        { lock: group.some((g) => g.writes) },
      );
      group.forEach((g, i) => g.resolve(results[i] ?? []));
    } catch (e) {
      // A failed run (or a dropped connection) fails every request in it, each with the cause.
      for (const g of group) g.reject(e);
    } finally {
      this.running--;
      this.schedule();
    }
  }
}
