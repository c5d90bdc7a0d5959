// The long-lived relay (provider/host/relay-stream.ts, relay.py serve) over a real OpenSSH
// server on loopback, as an unprivileged user (its lock and journal live in
// /tmp/pulumi-netkit-UID, apart from any other run's): requests stream to one python3 over one
// exec channel and are answered in arrival order, each keeps its own deadline counted from its
// arrival, and a dropped connection lets the request under way finish (journaled) while the
// ones queued behind it never start. Netlink is read-only here (no CAP_NET_ADMIN needed).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { RelayBatch } from "../../provider/host/batch";
import { HostClient } from "../../provider/host/client";
import { FIRST_NS_FD } from "../../provider/host/relay";
import { silentLogger } from "../../provider/log";
import { getLinkRequest } from "../../provider/netlink/link";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";
import { isAmbiguous, SshSession } from "../../provider/ssh/session";
import { asError } from "../support/errors";
import { ensureTestUser, startSshd, type LoopbackSshd, type TestUser } from "../support/sshd";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves once `ready()` holds; fails after a minute (a failure, never a pace). */
async function until(what: string, ready: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 60_000; !ready(); await sleep(20)) if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
}

describe("ssh: the long-lived relay, streamed to over one channel", function () {
  let sshd: LoopbackSshd;
  let user: TestUser;
  let uid: number;
  let conn: ConnectionInput;
  const sessions: SshSession[] = [];
  const stateDir = () => `/tmp/pulumi-netkit-${uid}`;
  const open = async (operationTimeoutMs = 60_000) => {
    const s = await SshSession.open(connectionSchema.parse({ ...conn, operationTimeoutMs }), silentLogger);
    sessions.push(s);
    return s;
  };
  /** The user's relays now running (python3 started with the relay's source as argv), by pid. */
  const relayPids = () => {
    try {
      return execFileSync("pgrep", ["-u", String(uid), "-f", "^python3 -I -S -c"])
        .toString()
        .trim()
        .split("\n")
        .filter(Boolean);
    } catch {
      return [];
    }
  };
  const relays = () => relayPids().length;
  /**
   * Holds the host's writer lock from another process, as another stack's relay would: resolves
   * once the lock is held, with a function that lets it go and resolves once it is free.
   */
  const holdLock = async (s: SshSession) => {
    const [dir, held, release] = [stateDir(), `${stateDir()}/held`, `${stateDir()}/release`];
    const holder = `touch ${held}; while [ ! -e ${release} ]; do sleep 0.05; done`;
    await s.run(["sh", "-c", `mkdir -p ${dir} && rm -f ${held} ${release} && (setsid flock ${dir}/lock sh -c '${holder}' >/dev/null 2>&1 &)`]);
    await until("the other process to hold the lock", () => existsSync(held));
    return async () => {
      writeFileSync(release, "");
      await until("the lock to be free", () => {
        try {
          execFileSync("flock", ["-n", `${dir}/lock`, "true"]);
          return true;
        } catch {
          return false;
        }
      });
    };
  };
  /** The pid of the one relay started after `others` were listed. */
  const newRelay = (others: string[]) => {
    const mine = relayPids().filter((p) => !others.includes(p));
    assert.equal(mine.length, 1, `one relay started: ${mine.join(" ")}`);
    return mine[0]!;
  };
  /** The relay's main thread is asleep between tries for the lock (idle, it waits on a futex for a request). */
  const waitsForLock = (pid: string) => {
    try {
      return [35, 230, 23, 270].includes(Number(readFileSync(`/proc/${pid}/syscall`, "utf8").split(" ")[0])); // nanosleep, clock_nanosleep, select, pselect6 (x86_64)
    } catch {
      return false;
    }
  };
  const waitNoRelay = async () => {
    for (let i = 0; i < 100 && relays() > 0; i++) await sleep(100);
    return relays();
  };

  before(async function () {
    user = ensureTestUser("netkit-test-relay");
    uid = Number(execFileSync("id", ["-u", user.name]).toString().trim());
    sshd = await startSshd();
    conn = { host: sshd.host, port: sshd.port, user: user.name, privateKey: sshd.client.privateKey, hostKey: sshd.knownHostsLine };
    // Files the requests read back, one per request, so that each answer can be told apart.
    mkdirSync("/tmp/nkrs", { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(`/tmp/nkrs/${i}`, `answer ${i}\n`);
  });
  after(async function () {
    for (const s of sessions) s.close();
    rmSync("/tmp/nkrs", { recursive: true, force: true });
    await sshd?.stop();
    user?.release();
  });

  it("20 concurrent requests: one exec channel, one python3, each answered with its own results, in fewer runs than requests", async function () {
    const s = await open();
    const c = HostClient.overSsh(s, silentLogger);
    const before = sshd.count(/Starting session: command /g);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        c.request({
          ops: [
            { op: "read", path: `/tmp/nkrs/${i}` },
            { op: "netlink", message: getLinkRequest("lo") },
          ],
          readOnly: true,
        }),
      ),
    );
    answers.forEach((r, i) => {
      assert.equal(r[0]?.kind === "data" && r[0].data.toString(), `answer ${i}\n`);
      assert.equal(r[1]?.kind === "netlink" && r[1].status.errno, 0);
    });
    // Later requests go on the same relay: no new channel, no new python3.
    await c.request({ ops: [{ op: "read", path: "/tmp/nkrs/0" }], readOnly: true });
    assert.equal(sshd.count(/Starting session: command /g) - before, 1, "one exec channel for all of them");
    assert.equal(relays(), 1, "one relay process");
    assert.ok(c.runCount < 21, `requests shared runs (${c.runCount} runs for 21 requests)`);
    c.close();
    assert.equal(await waitNoRelay(), 0, "close() ends the relay");
  });

  it("a batch's netns fds are closed when it ends: a long-lived relay keeps no deleted netns alive", async function () {
    const s = await open();
    const c = HostClient.overSsh(s, silentLogger);
    const r = await c.request({
      ops: [
        { op: "openNetns", path: "/proc/self/ns/net", fd: FIRST_NS_FD },
        { op: "read", path: "/tmp/nkrs/0" },
      ],
      readOnly: true,
    });
    assert.equal(r[0]?.kind, "ok");
    const pid = execFileSync("pgrep", ["-u", String(uid), "-f", "^python3 -I -S -c"])
      .toString()
      .trim();
    assert.ok(!existsSync(`/proc/${pid}/fd/${FIRST_NS_FD}`), `fd ${FIRST_NS_FD} is still open in relay ${pid}`);
    c.close();
    assert.equal(await waitNoRelay(), 0);
  });

  it("answers come in arrival order; each request's deadline counts from its arrival, time queued behind another included", async function () {
    const s = await open(8000); // relay deadline: 5 s per request
    const release = await holdLock(s);
    const c = HostClient.overSsh(s, silentLogger);
    const done: string[] = [];
    const t0 = Date.now();
    const write = (name: string) => {
      const b = new RelayBatch();
      b.add("a write", { op: "netlink", message: getLinkRequest("lo") });
      return c.run(b).then((r) => (done.push(name), { r, at: Date.now() - t0 }));
    };
    const w1 = write("w1");
    await sleep(50);
    const w2 = write("w2"); // a run of its own, sent while w1 waits for the lock
    await sleep(50); // and the read one of its own, sent when a place is free (two runs under way)
    const read = c.request({ ops: [{ op: "read", path: "/tmp/nkrs/1" }], readOnly: true }).then((r) => (done.push("read"), r));
    const [a, b] = await Promise.all([w1, w2, read]);
    for (const x of [a, b]) assert.match(c.firstFailure(x.r)?.message ?? "", /another pulumi-netkit relay held the host's lock until the deadline/);
    assert.ok(a.at >= 4500 && a.at < 7500, `w1 gave up by its deadline (${a.at} ms)`);
    assert.ok(b.at - a.at < 1500, `w2, queued behind w1 for its whole wait, gave up by its own deadline right after (${b.at} ms), not 5 s later`);
    assert.deepEqual(done, ["w1", "w2", "read"]);
    c.close();
    await release();
  });

  it("a dropped connection: the request under way finishes and is journaled, a queued one never starts, the relay exits", async function () {
    const s = await open();
    const release = await holdLock(s);
    const others = relayPids();
    const c = HostClient.overSsh(s, silentLogger);
    const first = new RelayBatch();
    first.add("a write", { op: "netlink", message: getLinkRequest("lo") });
    const second = new RelayBatch();
    second.add("another write", { op: "netlink", message: getLinkRequest("lo") });
    const p1 = c.run(first).then(() => "answered", asError);
    await until("the relay to start", () => relayPids().length > others.length);
    const relay = newRelay(others);
    await until("the first request to wait for the lock in the relay", () => waitsForLock(relay));
    const p2 = c.run(second).then(() => "answered", asError);
    await sleep(300);
    s.close(); // while the first waits for the lock
    for (const p of [p1, p2]) {
      const e = await p;
      assert.ok(e instanceof Error && isAmbiguous(e), `ambiguous, not failed: ${String(e)}`);
    }
    await release();
    assert.equal(await waitNoRelay(), 0, "the relay exited once the lock was free and the first request done");
    const journal = (id: string) => `${stateDir()}/journal/${id}.jsonl`;
    const lines = readFileSync(journal(first.id), "utf8").trim().split("\n");
    assert.deepEqual(JSON.parse(lines[lines.length - 1]!), { done: true }, "the first request ran to its end");
    assert.ok(!existsSync(journal(second.id)), "the queued request never started");
  });
});
