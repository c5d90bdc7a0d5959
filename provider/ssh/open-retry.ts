// Opening a channel again when the server refused to open one. sshd frees a session slot a
// moment after the client saw the previous channel close, so a fast succession of operations
// can meet MaxSessions briefly. A refused open ran nothing: it is safe to try again. An
// ambiguous failure (the command may have run) never is, nor anything on a closed connection,
// nor a retry that would end past the operation's deadline.
import { SshError } from "../errors";
import type { Logger } from "../log";
import { isAmbiguous } from "./ambiguous";

/** Attempts to open a channel the server refused (nothing ran). */
export const CHANNEL_OPEN_ATTEMPTS = 5;

export interface OpenRetry {
  /** "user@host:port", as the log names it. */
  host: string;
  /** The operation's deadline (ms since the epoch): no wait may end past it. */
  deadline: number;
  isOpen: () => boolean;
  log: Logger;
  /** Waits between attempts; the real clock unless a test gives its own. */
  pause?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** The server refused to open the channel: nothing ran. */
export function isRefusedOpen(e: unknown): boolean {
  return e instanceof SshError && !isAmbiguous(e) && /Channel open failure/.test(e.message);
}

/** open(), again after 100 ms, 200 ms, … while the server refuses the channel (see above). */
export async function openWithRetries<T>(open: () => Promise<T>, o: OpenRetry): Promise<T> {
  const pause = o.pause ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (e) {
      const wait = 100 * attempt;
      if (!isRefusedOpen(e) || !o.isOpen() || attempt >= CHANNEL_OPEN_ATTEMPTS || now() + wait > o.deadline) throw e;
      o.log.debug(`ssh ${o.host}: channel refused (${attempt}/${CHANNEL_OPEN_ATTEMPTS}); retrying`);
      await pause(wait);
    }
  }
}
