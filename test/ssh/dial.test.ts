// Dial retries against real servers: a host that comes up late is reached, one that never
// does fails after the configured attempts, and refusals that a retry cannot fix
// (authentication, host key) fail on the first connection.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";
import { SshSession } from "../../provider/ssh/session";
import { SshError } from "../../provider/errors";
import { startSshd, generateKey, freePort, type LoopbackSshd } from "../support/sshd";
import { Capture, assertNoSecrets } from "../support/capture";

describe("ssh: dial retries", function () {
  let dir: string;
  const log = new Capture();
  const secrets: string[] = [];
  const started: LoopbackSshd[] = [];
  const open = (c: ConnectionInput) => SshSession.open(connectionSchema.parse(c), log);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "netkit-dial-"));
  });
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("reaches a server that starts listening only after ~1.5 s, logging each retry", async () => {
    const keys = { client: generateKey(dir, "client"), hostKey: generateKey(dir, "host") };
    secrets.push(keys.client.privateKey);
    const port = await freePort();
    const late = new Promise<LoopbackSshd>((resolve, reject) => setTimeout(() => void startSshd({ port, keys }).then(resolve, reject), 1500));
    late.then(
      (s) => started.push(s),
      () => undefined,
    );
    const t0 = Date.now();
    const s = await open({ host: "127.0.0.1", port, privateKey: keys.client.privateKey, hostKey: keys.hostKey.publicKey });
    try {
      assert.equal((await s.run(["echo", "up"])).stdout.toString(), "up\n");
    } finally {
      s.close();
      await late;
    }
    assert.ok(Date.now() - t0 >= 1500);
    const retries = log.lines.filter((l) => l.includes(`ssh root@127.0.0.1:${port}: dial `));
    assert.match(retries[0]!, new RegExp(`^info: ssh root@127\\.0\\.0\\.1:${port}: dial 1/5 failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}; retrying in 0\\.5s$`));
    assert.match(retries[1]!, /dial 2\/5 failed: .*; retrying in 1s$/);
    assert.ok(retries.length >= 2 && retries.length <= 4, retries.join("\n"));
  });

  it("a port refused forever fails after dialAttempts attempts, with the cause", async () => {
    const port = await freePort();
    const before = log.lines.length;
    const t0 = Date.now();
    const e = await log.failure(open({ host: "127.0.0.1", port, privateKey: generateKey(dir, "k2").privateKey, dialAttempts: 3 }));
    assert.ok(e instanceof SshError && e.kind === "transport", String(e));
    assert.equal(e.message, `ssh root@127.0.0.1:${port}: dial failed after 3 attempts: connect ECONNREFUSED 127.0.0.1:${port}`);
    const retries = log.lines.slice(before).filter((l) => / dial \d\/3 failed/.test(l));
    assert.deepEqual(
      retries.map((l) => /retrying in (\S+)$/.exec(l)![1]),
      ["0.5s", "1s"],
    );
    assert.ok(Date.now() - t0 >= 1500, "backs off 0.5 s, then 1 s");
  });

  it("an authentication failure is not retried: one connection, one failure", async () => {
    const sshd = await startSshd();
    started.push(sshd);
    const wrong = generateKey(dir, "wrong");
    secrets.push(wrong.privateKey);
    const before = sshd.connections();
    const e = await log.failure(open({ host: sshd.host, port: sshd.port, privateKey: wrong.privateKey, hostKey: sshd.knownHostsLine }));
    assert.ok(e instanceof SshError && e.kind === "authentication", String(e));
    assert.equal(sshd.connections() - before, 1, sshd.log());
    assert.doesNotMatch(e.message, /attempts/);
  });

  it("a host-key refusal is not retried either", async () => {
    const sshd = started[started.length - 1]!;
    const before = sshd.connections();
    const e = await log.failure(open({ host: sshd.host, port: sshd.port, privateKey: sshd.client.privateKey, hostKey: generateKey(dir, "other").publicKey }));
    assert.ok(e instanceof SshError && e.kind === "host-key", String(e));
    assert.equal(sshd.connections() - before, 1);
  });

  it("no key appears in any error or log line", () => {
    assertNoSecrets(log.text(), secrets);
  });
});
