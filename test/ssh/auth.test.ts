// Every way to log in, against a real OpenSSH server: a key, an encrypted key, a password,
// an ssh-agent; and that each wrong credential fails at once, clearly, without a retry and
// without the credential in the message.
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";
import { SshSession } from "../../provider/ssh/session";
import { SshError } from "../../provider/errors";
import { startSshd, generateKey, ensureTestUser, type LoopbackSshd, type Keypair, type TestUser } from "../support/sshd";
import { Capture, assertNoSecrets } from "../support/capture";

describe("ssh: authentication", function () {
  let sshd: LoopbackSshd;
  let dir: string;
  let encrypted: Keypair;
  let user: TestUser;
  const passphrase = "correct horse battery staple";
  const log = new Capture();
  const secrets: string[] = [passphrase];
  const base = (): ConnectionInput => ({ host: sshd.host, port: sshd.port, user: "root", hostKey: sshd.knownHostsLine });
  const open = (c: ConnectionInput) => SshSession.open(connectionSchema.parse(c), log);
  const whoami = async (c: ConnectionInput) => {
    const s = await open(c);
    try {
      return (await s.run(["id", "-un"])).stdout.toString().trim();
    } finally {
      s.close();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "netkit-auth-"));
    encrypted = generateKey(dir, "encrypted", passphrase);
    user = ensureTestUser("netkit-test", { password: true });
    sshd = await startSshd({ passwordAuth: true });
    // The encrypted key is authorized too (the fixture's authorized_keys is shared by every user).
    sshd.authorize(encrypted.publicKey);
    secrets.push(sshd.client.privateKey, encrypted.privateKey, user.password!);
  });
  after(async () => {
    user?.release();
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in with a private key", async () => {
    assert.equal(await whoami({ ...base(), privateKey: sshd.client.privateKey }), "root");
  });

  it("logs in with an encrypted private key and its passphrase", async () => {
    assert.equal(await whoami({ ...base(), privateKey: encrypted.privateKey, privateKeyPassphrase: passphrase }), "root");
  });

  it("a wrong passphrase fails at once, as an authentication error, without dialing", async () => {
    const before = sshd.connections();
    const started = Date.now();
    const e = await log.failure(open({ ...base(), privateKey: encrypted.privateKey, privateKeyPassphrase: "not it" }));
    assert.ok(e instanceof SshError && e.kind === "authentication" && !e.retryable, String(e));
    assert.match(e.message, /cannot use the configured private key: .*bad passphrase/);
    assert.ok(Date.now() - started < 2000);
    assert.equal(sshd.connections(), before, "no connection for a key that cannot be decrypted");
  });

  it("an encrypted key without its passphrase says so", async () => {
    const e = await log.failure(open({ ...base(), privateKey: encrypted.privateKey }));
    assert.ok(e instanceof SshError && e.kind === "authentication", String(e));
    assert.match(e.message, /no passphrase given/);
  });

  it("logs in with a password", async () => {
    assert.equal(await whoami({ ...base(), user: user.name, password: user.password! }), user.name);
  });

  it("a wrong password fails fast (< 5 s) with a clear message, after one connection and one attempt", async () => {
    const conns = sshd.connections();
    const failed = sshd.count(/Failed password for netkit-test /g);
    const started = Date.now();
    const e = await log.failure(open({ ...base(), user: user.name, password: "wrong-password-123" }));
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.ok(e instanceof SshError && e.kind === "authentication" && !e.retryable, String(e));
    assert.match(
      e.message,
      new RegExp(`^ssh netkit-test@127\\.0\\.0\\.1:${sshd.port}: authentication as netkit-test failed: the server accepted none of the credentials \\(tried: password\\)`),
    );
    assert.equal(sshd.connections() - conns, 1, "authentication failures are not retried");
    assert.equal(sshd.count(/Failed password for netkit-test /g) - failed, 1);
    assert.ok(!log.lines.some((l) => /retrying/.test(l)), "no retry was logged");
  });

  it("logs in with a key held by an ssh-agent (agent socket path given explicitly)", async () => {
    const sock = join(dir, "agent.sock");
    const agent: ChildProcess = spawn("ssh-agent", ["-D", "-a", sock], { stdio: "ignore" });
    try {
      for (let i = 0; !existsSync(sock); i++) {
        if (i > 100) throw new Error("ssh-agent did not create its socket");
        await new Promise((r) => setTimeout(r, 50));
      }
      execFileSync("ssh-add", ["-q", sshd.client.path], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: "ignore" });
      const accepted = sshd.count(/Accepted publickey for root/g);
      assert.equal(await whoami({ ...base(), agent: sock }), "root");
      assert.equal(sshd.count(/Accepted publickey for root/g) - accepted, 1);
    } finally {
      agent.kill("SIGTERM");
    }
  });

  it("an unusable agent socket is an authentication error that names it", async () => {
    const e = await log.failure(open({ ...base(), agent: join(dir, "no-such-agent.sock") }));
    assert.ok(e instanceof SshError && e.kind === "authentication" && !e.retryable, String(e));
    assert.match(e.message, /tried: agent\); the ssh-agent at \S+no-such-agent\.sock could not be used/);
  });

  it("no key, passphrase or password appears in any error or log line", () => {
    assertNoSecrets(log.text(), secrets);
  });
});
