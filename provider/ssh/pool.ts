// One SSH connection per host per provider process (one `pulumi` run), shared by every
// concurrent operation on that host. A session that dropped is replaced on next use.
import type { Logger } from "../log";
import { connectionKey, type Connection } from "./connection";
import { SshSession } from "./session";

export class SessionPool {
  private readonly sessions = new Map<string, Promise<SshSession>>();

  constructor(private readonly log: Logger) {}

  async get(c: Connection): Promise<SshSession> {
    const key = connectionKey(c);
    const existing = this.sessions.get(key);
    if (existing) {
      const s = await existing.catch(() => undefined);
      if (s?.isOpen) return s;
    }
    const opening = SshSession.open(c, this.log);
    this.sessions.set(key, opening);
    // A failed dial must not poison later attempts.
    opening.catch(() => this.sessions.get(key) === opening && this.sessions.delete(key));
    return opening;
  }

  closeAll(): void {
    for (const p of this.sessions.values()) p.then((s) => s.close(), () => undefined);
    this.sessions.clear();
  }
}
