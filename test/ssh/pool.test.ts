// The pool and the channel bound against a real OpenSSH server with its default
// MaxSessions (10): many concurrent operations on one handshake, a connection dropped in
// the middle of an operation, and queueing under the per-operation time limit.
import assert from "node:assert/strict";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";
import { SshSession, isAmbiguous } from "../../provider/ssh/session";
import { SessionPool } from "../../provider/ssh/pool";
import { SshError } from "../../provider/errors";
import { startSshd, type LoopbackSshd } from "../support/sshd";
import { Capture, assertNoSecrets } from "../support/capture";

describe("ssh: pool, channel limit and dropped connections", function () {
  let sshd: LoopbackSshd;
  let conn: ConnectionInput;
  const log = new Capture();

  before(async () => {
    sshd = await startSshd({ maxSessions: 10 }); // OpenSSH's default
    conn = { host: sshd.host, port: sshd.port, privateKey: sshd.client.privateKey, hostKey: sshd.knownHostsLine };
  });
  after(async () => sshd?.stop());

  it("40 concurrent operations with maxSessions 8 all succeed on one handshake, at most 8 at a time", async () => {
    const pool = new SessionPool(log);
    const accepted = sshd.accepted();
    try {
      const c = connectionSchema.parse({ ...conn, maxSessions: 8 });
      const t0 = Date.now();
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => pool.get(c).then((s) => s.run(["sh", "-c", 'sleep 0.3; echo "$1"', "sh", String(i)]))));
      const took = Date.now() - t0;
      assert.deepEqual(
        results.map((r) => r.stdout.toString()),
        Array.from({ length: 40 }, (_, i) => `${i}\n`),
      );
      // 40 sleeps of 0.3 s, 8 at a time, take at least 5 rounds.
      assert.ok(took >= 1500, `took only ${took} ms: more than 8 ran at once`);
      assert.deepEqual(pool.stats(), { handshakes: 1, perHost: { [`root@127.0.0.1:${sshd.port}`]: 1 } });
    } finally {
      pool.closeAll();
    }
    assert.equal(sshd.accepted() - accepted, 1);
  });

  it("why the bound matters: beyond the server's MaxSessions, channels are refused (before anything runs: not ambiguous)", async () => {
    const s = await SshSession.open(connectionSchema.parse({ ...conn, maxSessions: 40 }), log);
    try {
      // Commands outlast the provider's brief retry of refused opens (~1 s), so refusals surface.
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => s.run(["sleep", "3"])));
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected").map((o) => log.record(o.reason) as Error);
      assert.ok(refused.length > 0, "the server allowed more than its MaxSessions");
      for (const e of refused) {
        assert.ok(e instanceof SshError && e.kind === "transport" && !isAmbiguous(e), String(e));
        assert.match(e.message, /cannot start sleep 3: .*open failed/);
      }
    } finally {
      s.close();
    }
  });

  it("a connection dropped mid-operation rejects with an ambiguous transport error; the pool then opens a fresh session", async () => {
    const pool = new SessionPool(log);
    try {
      const c = connectionSchema.parse(conn);
      const s1 = await pool.get(c);
      const running = s1.exec(["sleep", "30"]);
      running.catch(() => undefined);
      // Wait until the server runs the command, then kill everything serving the connection.
      const sessions = sshd.count(/Starting session: command/g);
      for (let i = 0; sshd.count(/Starting session: command/g) === sessions; i++) {
        assert.ok(i < 200, "the server never started the command");
        await new Promise((r) => setTimeout(r, 25));
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(sshd.killSessions() > 0);
      const e = await log.failure(running);
      assert.ok(isAmbiguous(e) && e instanceof SshError && e.kind === "transport", String(e));
      assert.match(e.message, /the connection closed while sleep 30 was running; the operation may or may not have been applied/);
      assert.equal(s1.isOpen, false);
      const s2 = await pool.get(c);
      assert.notEqual(s2, s1);
      assert.equal((await s2.run(["echo", "again"])).stdout.toString(), "again\n");
      assert.equal(pool.stats().handshakes, 2);
      // Nothing sent on a closed session is ambiguous: it never left this process.
      const e2 = await log.failure(s1.exec(["true"]));
      assert.ok(e2 instanceof SshError && e2.kind === "transport" && !isAmbiguous(e2), String(e2));
    } finally {
      pool.closeAll();
    }
  });

  it("an operation that waited its whole time limit in the queue was never sent: a plain timeout", async () => {
    const s = await SshSession.open(connectionSchema.parse({ ...conn, maxSessions: 1 }), log);
    try {
      const long = s.exec(["sleep", "3"]);
      const e = await log.failure(s.exec(["true"], { timeoutMs: 1000 }));
      assert.ok(e instanceof SshError && e.kind === "timeout" && !isAmbiguous(e), String(e));
      assert.match(e.message, /true did not start within 1000 ms: all 1 sessions stayed busy/);
      assert.equal((await long).exitCode, 0);
    } finally {
      s.close();
    }
  });

  it("no key appears in any error or log line", () => {
    assertNoSecrets(log.text(), [sshd.client.privateKey]);
  });
});
