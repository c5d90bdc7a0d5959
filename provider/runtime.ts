// Process-wide state of a provider process: the SSH session pool. It lives here, in the
// process that runs CRUD, and is never reachable from a serialized provider closure.
import type { Logger } from "./log";
import { SessionPool } from "./ssh/pool";

let pool: SessionPool | undefined;

export function sessionPool(log: Logger): SessionPool {
  if (!pool) {
    pool = new SessionPool(log);
    // The provider process ends with the `pulumi` run; close connections cleanly then.
    process.once("beforeExit", () => pool?.closeAll());
  }
  return pool;
}

/** Closes every session (tests; a provider process just exits). */
export function closeSessions(): void {
  pool?.closeAll();
  pool = undefined;
}
