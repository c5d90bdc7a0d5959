// Privileged operations for a non-root login user, through real sudo: passwordless and with
// a password, which must travel on stdin only when sudo asks and never on a command line.
import assert from "node:assert/strict";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshSession, isAmbiguous } from "../../provider/ssh/session";
import { SshError } from "../../provider/errors";
import { startSshd, ensureTestUser, sudoInstalled, type LoopbackSshd, type TestUser } from "../support/sshd";
import { skipBecause } from "../support/skip";
import { Capture, assertNoSecrets } from "../support/capture";

/** Whether a process on this machine still runs (a zombie has ended: it only awaits its parent). */
function running(pid: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe("ssh: sudo for a non-root user", function () {
  let sshd: LoopbackSshd;
  let withPassword: TestUser; // logs in with a password; sudo asks for it
  let nopasswd: TestUser; // logs in with the key; NOPASSWD sudo
  const log = new Capture();
  const secrets: string[] = [];
  const open = (c: ConnectionInput) => SshSession.open(connectionSchema.parse(c), log);
  const asPasswordUser = (sudo: ConnectionInput["sudo"]): ConnectionInput => ({
    host: sshd.host,
    port: sshd.port,
    user: withPassword.name,
    password: withPassword.password!,
    hostKey: sshd.knownHostsLine,
    sudo,
  });
  const asNopasswdUser = (sudo: ConnectionInput["sudo"]): ConnectionInput => ({
    host: sshd.host,
    port: sshd.port,
    user: nopasswd.name,
    privateKey: sshd.client.privateKey,
    hostKey: sshd.knownHostsLine,
    sudo,
  });
  async function using<T>(c: ConnectionInput, f: (s: SshSession) => Promise<T>): Promise<T> {
    const s = await open(c);
    try {
      return await f(s);
    } finally {
      s.close();
    }
  }

  before(async function () {
    if (!sudoInstalled()) skipBecause(this, "sudo is not installed (Debian package sudo; scripts/toolchain/system.sh provides it)");
    withPassword = ensureTestUser("netkit-test", { password: true, sudo: "password" });
    nopasswd = ensureTestUser("netkit-test-nopw", { sudo: "nopasswd" });
    sshd = await startSshd({ passwordAuth: true });
    secrets.push(withPassword.password!, sshd.client.privateKey);
  });
  after(async () => {
    withPassword?.release();
    nopasswd?.release();
    await sshd?.stop();
  });

  it("passwordless sudo: a privileged exec runs as root, a plain one as the login user", async () => {
    await using(asNopasswdUser(true), async (s) => {
      assert.equal((await s.run(["id", "-u"], { privileged: true })).stdout.toString(), "0\n");
      assert.notEqual((await s.run(["id", "-u"])).stdout.toString(), "0\n");
    });
  });

  it("privileged commands get their own stdin, stdout, stderr and exit code, untouched", async () => {
    await using(asNopasswdUser(true), async (s) => {
      const r = await s.exec(["sh", "-c", 'cat; echo "to stderr $1" >&2; exit 7', "sh", "it's $(not) run"], { privileged: true, stdin: "line 1\nline 2\n" });
      assert.equal(r.exitCode, 7);
      assert.equal(r.stdout.toString(), "line 1\nline 2\n");
      assert.equal(r.stderr.toString(), "to stderr it's $(not) run\n");
    });
  });

  it("sudo with a password: runs as root, the password is in no process's argv, and the command's stdin is exact", async () => {
    await using(asPasswordUser({ password: withPassword.password! }), async (s) => {
      const asked = log.lines.filter((l) => l.includes("sudo asked for the password")).length;
      assert.equal((await s.run(["id", "-u"], { privileged: true })).stdout.toString(), "0\n");
      assert.ok(log.lines.filter((l) => l.includes("sudo asked for the password")).length > asked, "sudo asked, and got, the password");
      // While the command runs, sudo is its parent: list every process's argv on the host. A
      // process may end between the glob and the read: stderr goes nowhere before the file is
      // opened (redirections apply left to right), so its vanishing is not the command's stderr.
      const r = await s.run(["sh", "-c", 'cat; for f in /proc/[0-9]*/cmdline; do tr "\\0" " " 2>/dev/null < "$f"; echo; done'], {
        privileged: true,
        stdin: "stdin for the command\n",
      });
      const out = r.stdout.toString();
      assert.ok(out.startsWith("stdin for the command\n"), "the command's stdin arrives without the password in front of it");
      assert.match(out, /^sudo -S -p \S+ -- sh -c /m, "sudo is running while the command runs");
      assert.ok(!out.includes(withPassword.password!), "the password appears in some process's argv");
      assert.equal(r.stderr.toString(), "", "sudo's prompt and the start marker are not the command's stderr");
    });
  });

  it("sudo is given the password only when it asks: a NOPASSWD user's command gets its stdin untouched", async () => {
    await using(asNopasswdUser({ password: "a password sudo never asks for" }), async (s) => {
      const asked = log.lines.filter((l) => l.includes("sudo asked for the password")).length;
      const r = await s.run(["cat"], { privileged: true, stdin: "exactly this" });
      assert.equal(r.stdout.toString(), "exactly this");
      assert.equal(log.lines.filter((l) => l.includes("sudo asked for the password")).length, asked, "the password was never sent");
    });
  });

  it("a wrong sudo password is a privilege error that does not echo it", async () => {
    const wrong = "wrong-sudo-password-42";
    secrets.push(wrong);
    await using(asPasswordUser({ password: wrong }), async (s) => {
      const e = await log.failure(s.exec(["id", "-u"], { privileged: true }));
      assert.ok(e instanceof SshError && e.kind === "privilege", String(e));
      assert.match(e.message, /sudo rejected connection\.sudo\.password for netkit-test/);
    });
  });

  it("passwordless sudo for a user whose sudo needs a password says what to set", async () => {
    await using(asPasswordUser(true), async (s) => {
      const e = await log.failure(s.exec(["id", "-u"], { privileged: true }));
      assert.ok(e instanceof SshError && e.kind === "privilege", String(e));
      assert.match(e.message, /sudo needs a password for netkit-test: set connection\.sudo to \{ password \}/);
    });
  });

  it("without sudo configured, privileged operations run as the login user", async () => {
    await using(asNopasswdUser(false), async (s) => {
      assert.notEqual((await s.run(["id", "-u"], { privileged: true })).stdout.toString(), "0\n");
    });
  });

  for (const privileged of [false, true]) {
    it(`a timed-out ${privileged ? "privileged" : "plain"} operation of a non-root user does not outlive its time limit on the host`, async () => {
      // The provider sends TERM (sudo relays it) and closes the channel. OpenSSH before 9.8
      // ignores signal requests on root logins, where such a command runs on until it ends by
      // itself; the error says the outcome is unknown either way.
      const dir = mkdtempSync(join(tmpdir(), "netkit-timeout-"));
      try {
        chmodSync(dir, 0o777);
        const pidFile = join(dir, "pid");
        await using(asNopasswdUser(true), async (s) => {
          const e = await log.failure(s.exec(["sh", "-c", 'echo $$ > "$1"; exec sleep 30', "sh", pidFile], { privileged, timeoutMs: 1500 }));
          assert.ok(isAmbiguous(e) && e.kind === "timeout", String(e));
          const pid = readFileSync(pidFile, "utf8").trim();
          for (let i = 0; running(pid); i++) {
            assert.ok(i < 100, `the command (pid ${pid}) still runs after the timeout`);
            await new Promise((r) => setTimeout(r, 20));
          }
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("no password or key appears in any error or log line", () => {
    assertNoSecrets(log.text(), secrets);
  });
});
