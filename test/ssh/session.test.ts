// The SSH layer against a real OpenSSH server on loopback.
import assert from "node:assert/strict";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";
import { SshSession, isAmbiguous } from "../../provider/ssh/session";
import { parseHostKeyPin } from "../../provider/ssh/hostkey";
import { Capture } from "../support/capture";
import { SshError, RemoteCommandError } from "../../provider/errors";
import { SessionPool } from "../../provider/ssh/pool";
import { silentLogger } from "../../provider/log";
import { startSshd, generateKey, type LoopbackSshd } from "../support/sshd";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const open = (c: ConnectionInput) => SshSession.open(connectionSchema.parse(c), silentLogger);

describe("ssh: session against a real OpenSSH server", function () {
  let sshd: LoopbackSshd;
  let conn: ConnectionInput;

  before(async () => {
    sshd = await startSshd();
    conn = { host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.client.privateKey, hostKey: sshd.knownHostsLine };
  });
  after(async () => sshd?.stop());

  it("runs an argv and returns exit code, stdout, stderr; stdin reaches the command", async () => {
    const s = await open(conn);
    try {
      const r = await s.exec(["sh", "-c", 'cat; echo "$1" >&2; exit 3', "sh", "it's $(not) run"], { stdin: "in\n" });
      assert.equal(r.exitCode, 3);
      assert.equal(r.stdout.toString(), "in\n");
      assert.equal(r.stderr.toString(), "it's $(not) run\n");
      await assert.rejects(s.run(["false"]), (e: unknown) => e instanceof RemoteCommandError && e.exitCode === 1 && /`false` failed/.test(e.message));
    } finally {
      s.close();
    }
  });

  it("accepts the host key pinned as a SHA256 fingerprint", async () => {
    const fp = parseHostKeyPin(sshd.hostKey.publicKey).fingerprint;
    const s = await open({ ...conn, hostKey: fp });
    s.close();
  });

  it("refuses a host whose key does not match the pin, naming both fingerprints", async () => {
    const dir = mkdtempSync(join(tmpdir(), "k-"));
    try {
      const other = generateKey(dir, "other");
      await assert.rejects(open({ ...conn, hostKey: other.publicKey }), (e: unknown) => {
        assert.ok(e instanceof SshError && e.kind === "host-key" && !e.retryable, String(e));
        assert.match(e.message, /host key SHA256:\S+ does not match the pinned SHA256:\S+/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses an unknown host key when nothing is pinned, and says how to pin it", async () => {
    const { hostKey: _omit, ...unpinned } = conn;
    await assert.rejects(open(unpinned), (e: unknown) => {
      assert.ok(e instanceof SshError && e.kind === "host-key", String(e));
      assert.match(e.message, /is unknown: verify it out of band, then pin it: pulumi config set netkit:hostKey "SHA256:/);
      return true;
    });
  });

  it("fails fast on a wrong key, as an authentication error that does not echo the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "k-"));
    try {
      const wrong = generateKey(dir, "wrong");
      const started = Date.now();
      await assert.rejects(open({ ...conn, privateKey: wrong.privateKey }), (e: unknown) => {
        assert.ok(e instanceof SshError && e.kind === "authentication" && !e.retryable, String(e));
        assert.ok(!e.message.includes(wrong.privateKey.split("\n")[1]!), "message must not contain key material");
        return true;
      });
      assert.ok(Date.now() - started < 5000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a refused port is a retryable transport error", async () => {
    await assert.rejects(open({ ...conn, port: 1, dialAttempts: 1 }), (e: unknown) => e instanceof SshError && e.kind === "transport" && e.retryable);
  });

  it("insecureSkipHostKeyCheck accepts an unknown key and warns on every connection, naming the offered fingerprint", async () => {
    const { hostKey: _omit, ...unpinned } = conn;
    const log = new Capture();
    const fp = parseHostKeyPin(sshd.hostKey.publicKey).fingerprint;
    for (let i = 0; i < 2; i++) {
      const s = await SshSession.open(connectionSchema.parse({ ...unpinned, insecureSkipHostKeyCheck: true }), log);
      assert.equal((await s.run(["echo", "ok"])).stdout.toString(), "ok\n");
      s.close();
    }
    const warnings = log.lines.filter((l) => l.startsWith("warn: "));
    assert.equal(warnings.length, 2, log.text());
    for (const w of warnings) assert.ok(w.includes(`host key verification is DISABLED for root@127.0.0.1:${sshd.port} (offered ${fp})`), w);
  });

  it("refuses insecureSkipHostKeyCheck together with a pinned hostKey", () => {
    const r = connectionSchema.safeParse({ ...conn, insecureSkipHostKeyCheck: true });
    assert.ok(!r.success);
    assert.deepEqual(r.error.issues[0]!.path, ["insecureSkipHostKeyCheck"]);
  });

  it("an operation over its time limit is an ambiguous timeout; the session stays usable", async () => {
    const s = await open(conn);
    try {
      const started = Date.now();
      await assert.rejects(s.exec(["sleep", "3"], { timeoutMs: 1000 }), (e: unknown) => {
        assert.ok(isAmbiguous(e) && e.kind === "timeout", String(e));
        assert.equal(e.message, `ssh root@127.0.0.1:${sshd.port}: sleep 3 did not finish within 1000 ms; the operation may or may not have been applied on the host`);
        return true;
      });
      assert.ok(Date.now() - started < 2500);
      assert.equal((await s.run(["echo", "still"])).stdout.toString(), "still\n");
    } finally {
      s.close();
    }
  });

  it("operationTimeoutMs is the default time limit", async () => {
    const s = await open({ ...conn, operationTimeoutMs: 1000 });
    try {
      await assert.rejects(s.exec(["sleep", "3"]), (e: unknown) => isAmbiguous(e) && e.kind === "timeout");
    } finally {
      s.close();
    }
  });

  it("the pool shares one connection among concurrent operations", async () => {
    const before = (sshd.log().match(/Accepted publickey/g) ?? []).length;
    const pool = new SessionPool(silentLogger);
    try {
      const c = connectionSchema.parse(conn);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.get(c).then((s) => s.run(["echo", String(i)]))));
      assert.deepEqual(
        results.map((r) => r.stdout.toString()),
        Array.from({ length: 20 }, (_, i) => `${i}\n`),
      );
    } finally {
      pool.closeAll();
    }
    const after = (sshd.log().match(/Accepted publickey/g) ?? []).length;
    assert.equal(after - before, 1, "exactly one SSH authentication for 20 operations");
  });
});
