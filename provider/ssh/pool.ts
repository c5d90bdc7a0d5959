// One SSH connection per host and route per provider process (one `pulumi` run), shared by
// every concurrent operation on that host. A session that dropped is replaced on next use.
import { createHash } from "node:crypto";
import type { Logger } from "../log";
import { connectionKey, type Connection } from "./connection";
import { SshSession } from "./session";

export interface PoolStats {
  /** Successful SSH authentications, jump hosts included. */
  handshakes: number;
  /** The same, per "user@host:port". */
  perHost: Record<string, number>;
}

/** JSON with sorted keys, so equal connections serialize equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/**
 * Sessions are shared by user, host, port and jump host; the digest of everything else
 * (credentials, host-key policy, sudo, limits) keeps a connection that checks host keys
 * from reusing one opened with insecureSkipHostKeyCheck, or sudo settings leaking across.
 * The digest stays in memory and is never logged.
 */
function poolKey(c: Connection): string {
  return `${connectionKey(c)}#${createHash("sha256").update(canonical(c)).digest("hex")}`;
}

export class SessionPool {
  private readonly sessions = new Map<string, Promise<SshSession>>();
  private readonly handshakes = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  async get(c: Connection): Promise<SshSession> {
    const key = poolKey(c);
    const existing = this.sessions.get(key);
    if (existing) {
      const s = await existing.catch(() => undefined);
      if (s?.isOpen) return s;
      // Another caller may have replaced it while we waited.
      const current = this.sessions.get(key);
      if (current && current !== existing) return this.get(c);
    }
    const opening = SshSession.open(c, this.log, { onHandshake: (id) => this.handshakes.set(id, (this.handshakes.get(id) ?? 0) + 1) });
    this.sessions.set(key, opening);
    // A failed dial must not poison later attempts.
    opening.catch(() => this.sessions.get(key) === opening && this.sessions.delete(key));
    return opening;
  }

  stats(): PoolStats {
    const perHost = Object.fromEntries(this.handshakes);
    return { handshakes: [...this.handshakes.values()].reduce((a, b) => a + b, 0), perHost };
  }

  closeAll(): void {
    for (const p of this.sessions.values())
      p.then(
        (s) => s.close(),
        () => undefined,
      );
    this.sessions.clear();
  }
}
