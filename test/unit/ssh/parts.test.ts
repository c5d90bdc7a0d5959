// The SSH layer's pure parts, without a server: the connection schema, the channel
// semaphore, dial back-off and retry policy, the sudo stderr preamble, the redactor.
import assert from "node:assert/strict";
import { connectionSchema } from "../../../provider/connection";
import { connectionKey } from "../../../provider/ssh/connection";
import { Semaphore } from "../../../provider/ssh/semaphore";
import { backoffMs, dialWithRetries } from "../../../provider/ssh/dial";
import { SudoPreamble, SUDO_PROMPT, SUDO_STARTED, sudoArgv, sudoMode } from "../../../provider/ssh/sudo";
import { connectionSecrets, redactor } from "../../../provider/ssh/redact";
import { toCommandLine } from "../../../provider/ssh/argv";
import { SshError } from "../../../provider/errors";
import { fieldMeta } from "../../../provider/definition/field";
import { Capture } from "../../support/capture";

describe("ssh parts: connection schema", () => {
  it("states its defaults: 5 dial attempts, 120 s per operation, 8 sessions, host keys checked, no sudo", () => {
    const c = connectionSchema.parse({ host: "h" });
    assert.equal(c.port, 22);
    assert.equal(c.user, "root");
    assert.equal(c.dialAttempts, 5);
    assert.equal(c.operationTimeoutMs, 120_000);
    assert.equal(c.maxSessions, 8);
    assert.equal(c.insecureSkipHostKeyCheck, false);
    assert.equal(c.sudo, false);
    assert.equal(c.agent, undefined);
    assert.equal(c.jumpHost, undefined);
    const shape = connectionSchema.shape;
    for (const k of ["dialAttempts", "operationTimeoutMs", "maxSessions", "insecureSkipHostKeyCheck"] as const) {
      assert.match(fieldMeta.get(shape[k])!.description, /default/i, k);
    }
  });

  it("only the target's host and port replace; secrets are marked; a jump host defaults like a target", () => {
    const shape = connectionSchema.shape;
    for (const k of ["host", "port"] as const) assert.equal(fieldMeta.get(shape[k])?.replaceOnChange, true, k);
    for (const k of ["user", "privateKey", "password", "agent", "jumpHost", "sudo"] as const) assert.ok(!fieldMeta.get(shape[k])?.replaceOnChange, k);
    for (const k of ["privateKey", "privateKeyPassphrase", "password", "sudo"] as const) assert.equal(fieldMeta.get(shape[k])?.secret, true, k);
    const c = connectionSchema.parse({ host: "t", jumpHost: { host: "j" } });
    assert.deepEqual(c.jumpHost, { host: "j", port: 22, user: "root" });
    assert.equal(connectionKey(c), "root@t:22 via root@j:22");
  });

  it("accepts sudo as false, true or { password } and nothing else; rejects unknown fields", () => {
    assert.equal(connectionSchema.parse({ host: "h", sudo: true }).sudo, true);
    assert.deepEqual(connectionSchema.parse({ host: "h", sudo: { password: "pw" } }).sudo, { password: "pw" });
    assert.ok(!connectionSchema.safeParse({ host: "h", sudo: "yes" }).success);
    assert.ok(!connectionSchema.safeParse({ host: "h", sudo: { password: "pw", user: "x" } }).success);
    assert.ok(!connectionSchema.safeParse({ host: "h", jumpHost: { host: "j", insecureSkipHostKeyCheck: true } }).success);
    assert.ok(!connectionSchema.safeParse({ host: "h", maxSessions: 0 }).success);
  });
});

describe("ssh parts: semaphore", () => {
  it("admits `limit` holders, queues the rest in order, and a double release frees one slot only", async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const waiting = [3, 4].map((n) => s.acquire().then((r) => (order.push(n), r)));
    assert.equal(s.active, 2);
    assert.equal(s.queued, 2);
    r1();
    r1();
    const r3 = await waiting[0]!;
    assert.deepEqual(order, [3]);
    assert.equal(s.queued, 1);
    r2();
    const r4 = await waiting[1]!;
    assert.deepEqual(order, [3, 4]);
    r3();
    r4();
    assert.equal(s.active, 0);
  });

  it("an abort while queued leaves the queue", async () => {
    const s = new Semaphore(1);
    const r = await s.acquire();
    const ac = new AbortController();
    const p = s.acquire(ac.signal);
    ac.abort(new Error("gave up"));
    await assert.rejects(p, /gave up/);
    assert.equal(s.queued, 0);
    r();
    assert.equal(s.active, 0);
  });
});

describe("ssh parts: dial retries", () => {
  it("backs off 0.5 s, 1 s, 2 s, 4 s, then stays at 8 s", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 10].map(backoffMs), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it("does not retry what a retry cannot fix", async () => {
    let calls = 0;
    const log = new Capture();
    await assert.rejects(
      dialWithRetries("u@h:22", 5, log, async () => {
        calls++;
        throw new SshError("u@h:22", "authentication", "no");
      }),
      /ssh u@h:22: no$/,
    );
    assert.equal(calls, 1);
    assert.equal(log.lines.length, 0);
  });
});

describe("ssh parts: sudo", () => {
  it("wraps argv without a shell built from input; the password is never in it", () => {
    const argv = sudoArgv(["ip", "link", "show", "it's"], { kind: "password", password: "s3cret" });
    assert.deepEqual(argv.slice(0, 7), ["sudo", "-S", "-p", SUDO_PROMPT, "--", "sh", "-c"]);
    assert.deepEqual(argv.slice(8), ["sh", "ip", "link", "show", "it's"]);
    assert.ok(!toCommandLine(argv).includes("s3cret"));
    assert.deepEqual(sudoArgv(["true"], { kind: "nopasswd" }).slice(0, 2), ["sudo", "-n"]);
  });

  it("is used only for a non-root user with sudo set", () => {
    assert.equal(sudoMode(connectionSchema.parse({ host: "h", sudo: true })), undefined);
    assert.equal(sudoMode(connectionSchema.parse({ host: "h", user: "u" })), undefined);
    assert.deepEqual(sudoMode(connectionSchema.parse({ host: "h", user: "u", sudo: true })), { kind: "nopasswd" });
    assert.deepEqual(sudoMode(connectionSchema.parse({ host: "h", user: "u", sudo: { password: "p" } })), { kind: "password", password: "p" });
  });

  it("finds prompts and the start marker across chunk boundaries and hands on the command's stderr bytes", () => {
    const p = new SudoPreamble();
    const all = Buffer.concat([Buffer.from(`${SUDO_PROMPT}Sorry, try again.\n${SUDO_PROMPT}`), Buffer.from(SUDO_STARTED), Buffer.from([0xff, 0x00, 0x41])]);
    let prompts = 0;
    const command: Buffer[] = [];
    for (let i = 0; i < all.length; i += 5) {
      const r = p.feed(all.subarray(i, i + 5));
      prompts += r.newPrompts;
      command.push(r.commandStderr);
    }
    assert.equal(prompts, 2);
    assert.ok(p.started);
    assert.equal(p.text, "Sorry, try again.");
    assert.deepEqual(Buffer.concat(command), Buffer.from([0xff, 0x00, 0x41]));
  });
});

describe("ssh parts: redaction", () => {
  it("masks every secret of a connection, private key lines included", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAline1line1line1\nBBBBline2line2line2\n-----END OPENSSH PRIVATE KEY-----\n";
    const c = connectionSchema.parse({ host: "h", user: "u", privateKey: key, password: "pw-target", sudo: { password: "pw-sudo" }, jumpHost: { host: "j", password: "pw-jump" } });
    const redact = redactor(connectionSecrets(c));
    assert.equal(redact("a pw-target b pw-sudo c pw-jump d BBBBline2line2line2 e"), "a [redacted] b [redacted] c [redacted] d [redacted] e");
    assert.equal(redact(key).includes("line1"), false);
  });
});
