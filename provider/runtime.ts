// Process-wide state of a provider process: the SSH session pool. It lives here, in the
// process that runs CRUD, and is never reachable from a serialized provider closure.
import type { Logger } from "./log";
import { SessionPool } from "./ssh/pool";
import type { SshSession } from "./ssh/session";
import type { ConnectionInput } from "./ssh/connection";
import { probeHost, type HostFacts } from "./host/preflight";

let pool: SessionPool | undefined;
let defaults: Partial<ConnectionInput> = {};

/** The configured default connection (set by the providers' configure; see config.ts). */
export function setConnectionDefaults(c: Partial<ConnectionInput>): void {
  defaults = { ...c };
}
export function connectionDefaults(): Partial<ConnectionInput> {
  return defaults;
}
const facts = new Map<string, Promise<HostFacts>>();

/** The host's preflight, run once per host per provider process (one `pulumi` run). */
export function hostFacts(session: SshSession, log: Logger): Promise<HostFacts> {
  let f = facts.get(session.host);
  if (!f) {
    f = probeHost(session).then((h) => {
      const yes = (b: boolean) => (b ? "yes" : "no");
      const { netkit, single, queueLease, scrub, headroom, tailroom } = h.has;
      log.debug(
        `preflight ${h.host}: kernel ${h.kernelRelease}, netkit ${yes(netkit)}, single mode ${yes(single)}, queue leasing ${yes(queueLease)}, ` +
          `scrub ${yes(scrub)}, headroom ${yes(headroom)}, tailroom ${yes(tailroom)}`,
      );
      return h;
    });
    // A failed preflight (e.g. a dropped connection) is retried on the next operation.
    f.catch(() => facts.delete(session.host));
    facts.set(session.host, f);
  }
  return f;
}

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
  facts.clear();
  pool?.closeAll();
  pool = undefined;
}
