// Bounds the concurrent channels on one SSH connection. OpenSSH refuses channels beyond its
// MaxSessions (default 10) with an opaque "open failed"; queueing here keeps every
// operation valid however many run at once. FIFO, so no operation starves.
export type Release = () => void;

export class Semaphore {
  private inUse = 0;
  private readonly waiting: Array<{ grant: (r: Release) => void }> = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`semaphore limit must be at least 1, not ${limit}`);
  }

  get active(): number {
    return this.inUse;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; an abort while queued rejects with the signal's reason. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.inUse < this.limit) {
      this.inUse++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: (r: Release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(r);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(): Release {
    let done = false;
    return () => {
      if (done) return; // releasing twice must not free someone else's slot
      done = true;
      const next = this.waiting.shift();
      if (next) next.grant(this.releaser());
      else this.inUse--;
    };
  }
}

/** The signal's reason as an Error (AbortSignal.timeout gives a DOMException, which is one). */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}
