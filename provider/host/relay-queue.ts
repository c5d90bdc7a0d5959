// How the requests to one host share relay runs. The engine runs many operations at once (one
// per resource): a request is sent at once while fewer than STREAM_IN_FLIGHT runs are under way, so
// that the long-lived relay (relay-stream.ts) never waits for the provider; requests made in
// the same turn of the event loop, and those that arrive while every place is taken, go
// together in the next run, each its own batch with its own stop-on-error.
import { randomUUID } from "node:crypto";
import type { RelayRequest, RelayResult, RelayTransport, WireBatch } from "./relay";
import { toWire } from "./relay";

/** Per relay run: bounds the stdin and the run's duration against operationTimeoutMs. */
export const MAX_BATCHES_PER_RUN = 64;
/** Runs under way at once: the relay answers one while the next is already there. */
export const STREAM_IN_FLIGHT = 2;

export interface QueueOptions {
  /** Runs under way at once (default STREAM_IN_FLIGHT). */
  inFlight?: number;
}

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
  /** A run starts at the end of this turn: requests made meanwhile join it. */
  private starting = false;
  private readonly waiting: Waiting[] = [];
  private writes = 0;

  private readonly inFlight: number;

  constructor(
    private readonly transport: RelayTransport,
    opts: QueueOptions = {},
  ) {
    this.inFlight = opts.inFlight ?? STREAM_IN_FLIGHT;
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

  /** Starts the next run at the end of this turn, or at once when a run's worth is waiting. */
  private schedule(): void {
    if (this.running >= this.inFlight || !this.waiting.length) return;
    if (this.waiting.length >= MAX_BATCHES_PER_RUN) return void this.pump();
    if (this.starting) return;
    this.starting = true;
    setImmediate(() => void this.pump());
  }

  private async pump(): Promise<void> {
    this.starting = false;
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
