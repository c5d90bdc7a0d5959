// Dial retries. A host that is booting, an sshd restarting or a network blip is worth
// another attempt; a refused credential or host key is not, and retrying it would only
// trip fail2ban-style lockouts. So only retryable SshErrors (transport, timeout) retry.
import { SshError } from "../errors";
import type { Logger } from "../log";

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 8_000;

/** Wait after the n-th failed attempt (1-based): 0.5 s, 1 s, 2 s, … capped at 8 s. */
export function backoffMs(failures: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** (failures - 1), MAX_DELAY_MS);
}

/** An SshError's message without its "ssh <host>: " prefix, to be quoted in another one. */
export function detailOf(e: SshError): string {
  const prefix = `ssh ${e.host}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs dial up to `attempts` times. Logs each retry as
 * "ssh <id>: dial n/limit failed: <cause>; retrying in Xs" and, when all fail, throws
 * "ssh <id>: dial failed after N attempts: <cause>" with the last failure as cause.
 */
export async function dialWithRetries<T>(id: string, attempts: number, log: Logger, dial: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await dial();
    } catch (err) {
      if (!(err instanceof SshError) || !err.retryable) throw err;
      if (n >= attempts) {
        throw new SshError(id, err.kind, `dial failed after ${n} attempt${n === 1 ? "" : "s"}: ${detailOf(err)}`, { cause: err });
      }
      const wait = backoffMs(n);
      log.info(`ssh ${id}: dial ${n}/${attempts} failed: ${detailOf(err)}; retrying in ${wait / 1000}s`);
      await sleep(wait);
    }
  }
}
