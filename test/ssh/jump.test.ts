// Reaching a host through a jump host: two OpenSSH servers, the target listening on
// 127.0.0.2 and dialed by the jump host through a forwarded channel.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";
import { SshSession } from "../../provider/ssh/session";
import { SessionPool } from "../../provider/ssh/pool";
import { SshError } from "../../provider/errors";
import { startSshd, generateKey, type LoopbackSshd } from "../support/sshd";
import { Capture, assertNoSecrets } from "../support/capture";

describe("ssh: jump host", function () {
  let jump: LoopbackSshd;
  let closedJump: LoopbackSshd;
  let target: LoopbackSshd;
  const log = new Capture();
  let conn: ConnectionInput;
  const open = (c: ConnectionInput) => SshSession.open(connectionSchema.parse(c), log);
  const jumpOf = (s: LoopbackSshd) => ({ host: s.host, port: s.port, privateKey: s.client.privateKey, hostKey: s.knownHostsLine });

  before(async () => {
    jump = await startSshd({ allowTcpForwarding: true });
    closedJump = await startSshd({ allowTcpForwarding: false });
    target = await startSshd({ listenAddress: "127.0.0.2" });
    conn = { host: target.host, port: target.port, privateKey: target.client.privateKey, hostKey: target.knownHostsLine, jumpHost: jumpOf(jump) };
  });
  after(async () => {
    await Promise.all([jump?.stop(), closedJump?.stop(), target?.stop()]);
  });

  it("runs commands on the target through the jump host, one authentication on each", async () => {
    const [j, t] = [jump.accepted(), target.accepted()];
    const s = await open(conn);
    try {
      const r = await s.run(["sh", "-c", 'echo "$SSH_CONNECTION"']);
      // The target sees the connection arrive at its own address, 127.0.0.2.
      assert.match(r.stdout.toString(), new RegExp(` 127\\.0\\.0\\.2 ${target.port}\\n$`));
    } finally {
      s.close();
    }
    assert.equal(jump.accepted() - j, 1);
    assert.equal(target.accepted() - t, 1);
  });

  it("closing the session closes the jump host's connection too", async () => {
    const s = await open(conn);
    // The jump host's log names our connection by its client port.
    const port = [...jump.log().matchAll(/Accepted publickey for root from 127\.0\.0\.1 port (\d+)/g)].pop()![1];
    const ended = new RegExp(`(Disconnected from user root|Connection closed by) 127\\.0\\.0\\.1 port ${port}\\b`);
    assert.ok(!ended.test(jump.log()));
    s.close();
    for (let i = 0; !ended.test(jump.log()); i++) {
      assert.ok(i < 100, `the jump host never saw connection ${port} end:\n${jump.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(s.isOpen, false);
  });

  it("a dropped jump host connection takes the session down with it", async () => {
    const s = await open(conn);
    jump.killSessions();
    for (let i = 0; s.isOpen; i++) {
      assert.ok(i < 100, "the session still looks open");
      await new Promise((r) => setTimeout(r, 50));
    }
    await assert.rejects(s.exec(["true"]), (e: unknown) => log.record(e) instanceof SshError && (e as SshError).kind === "transport");
  });

  it("a jump host that forbids TCP forwarding is refused with the reason, without retries", async () => {
    const before = closedJump.connections();
    const e = await log.failure(open({ ...conn, jumpHost: jumpOf(closedJump) }));
    assert.ok(e instanceof SshError && !e.retryable, String(e));
    assert.match(e.message, new RegExp(`^ssh root@127\\.0\\.0\\.1:${closedJump.port}: refuses to forward to root@127\\.0\\.0\\.2:${target.port} .*AllowTcpForwarding`));
    assert.equal(closedJump.connections() - before, 1);
  });

  it("the jump host's own key is verified: a wrong pin is refused before the target is contacted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "k-"));
    try {
      const other = generateKey(dir, "other");
      const before = target.connections();
      const e = await log.failure(open({ ...conn, jumpHost: { ...jumpOf(jump), hostKey: other.publicKey } }));
      assert.ok(e instanceof SshError && e.kind === "host-key", String(e));
      assert.match(e.message, new RegExp(`^ssh root@127\\.0\\.0\\.1:${jump.port}: host key SHA256:\\S+ does not match the pinned SHA256:\\S+.*connection\\.jumpHost\\.hostKey`));
      assert.equal(target.connections(), before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an unknown jump host key is refused and the pin to set is named", async () => {
    const { hostKey: _omit, ...unpinned } = jumpOf(jump);
    const e = await log.failure(open({ ...conn, jumpHost: unpinned }));
    assert.ok(e instanceof SshError && e.kind === "host-key", String(e));
    assert.match(e.message, /is unknown: verify it out of band, then pin it: connection\.jumpHost\.hostKey \("SHA256:/);
  });

  it("the target's key is still verified behind the jump host", async () => {
    const { hostKey: _omit, ...unpinned } = conn;
    const e = await log.failure(open(unpinned));
    assert.ok(e instanceof SshError && e.kind === "host-key", String(e));
    assert.match(e.message, new RegExp(`^ssh root@127\\.0\\.0\\.2:${target.port}: host key SHA256:\\S+ of \\[127\\.0\\.0\\.2\\]:${target.port} is unknown`));
  });

  it("a target the jump host cannot reach is a transport failure, retried", async () => {
    const e = await log.failure(open({ ...conn, port: 1, dialAttempts: 2 }));
    assert.ok(e instanceof SshError && e.kind === "transport", String(e));
    assert.match(e.message, /dial failed after 2 attempts: the jump host root@127\.0\.0\.1:\d+ cannot reach 127\.0\.0\.2:1/);
    assert.ok(
      log.lines.some((l) => /dial 1\/2 failed: the jump host .* cannot reach/.test(l)),
      log.text(),
    );
  });

  it("the pool keeps a direct and a jumped route to the same host apart", async () => {
    const pool = new SessionPool(log);
    try {
      const { jumpHost: _omit, ...direct } = conn;
      const [a, b] = await Promise.all([pool.get(connectionSchema.parse(conn)), pool.get(connectionSchema.parse(direct))]);
      assert.notEqual(a, b);
      assert.equal(await pool.get(connectionSchema.parse(conn)), a);
      const stats = pool.stats();
      assert.equal(stats.handshakes, 3);
      assert.deepEqual(stats.perHost, { [`root@127.0.0.1:${jump.port}`]: 1, [`root@127.0.0.2:${target.port}`]: 2 });
    } finally {
      pool.closeAll();
    }
  });

  it("no key appears in any error or log line", () => {
    assertNoSecrets(log.text(), [jump.client.privateKey, target.client.privateKey]);
  });
});
