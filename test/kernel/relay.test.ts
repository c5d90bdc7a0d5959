// The relay's failure modes on the real test host: a failure is one op's (earlier ops and the
// other batches of the run keep what they did), a run ends by its own deadline, writers take
// turns under the host's lock, a netns reference must be a network namespace before anything
// opens it for use, and every writing batch leaves a journal a dropped connection can read.
import assert from "node:assert/strict";
import { HostClient } from "../../provider/host/client";
import { RelayBatch } from "../../provider/host/batch";
import { silentLogger } from "../../provider/log";
import { netkitSingleProvider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { connectionSchema } from "../../provider/connection";
import { SshSession } from "../../provider/ssh/session";
import { closeSessions } from "../../provider/runtime";
import { getLinkRequest } from "../../provider/netlink/link";
import type { TestHost } from "../../testhost";
import { asError } from "../support/errors";
import { checked, linkNames } from "../support/netkit";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { sessionRelays, waitFor } from "../support/faults";

describe("kernel: the relay's failure modes", function () {
  let host: TestHost;
  const sessions: SshSession[] = [];
  /** A host client over a session of its own, with the given time limit per operation. */
  const client = async (operationTimeoutMs = 120_000) => {
    const s = await SshSession.open(connectionSchema.parse({ ...connectionTo(host), operationTimeoutMs }), silentLogger);
    sessions.push(s);
    return HostClient.overSsh(s, silentLogger);
  };

  /** Every relay process on the host (long-lived or not), by pid. */
  const relayProcesses = async () => (await onHost(host, ["sh", "-c", "pgrep -f '^python3 -I -S -c' || true"])).stdout.toString().split(/\s+/).filter(Boolean);
  /** Relays on the host before this file's first client: the worker's earlier files' to end, not this file's. */
  let foreign = new Set<string>();
  /** The relay's main thread is asleep between tries for the host's lock (idle, it waits on a futex for a request). */
  const waitsForLock = async (pid: number) => {
    const syscall = Number((await onHost(host, ["cat", `/proc/${pid}/syscall`])).stdout.toString().split(" ")[0]);
    return [35, 230, 23, 270].includes(syscall); // nanosleep, clock_nanosleep, select, pselect6 (x86_64)
  };

  before(async function () {
    host = await sharedHost();
    foreign = new Set(await relayProcesses());
  });
  after(function () {
    for (const s of sessions) s.close();
  });

  it("an op the relay cannot handle (a message too short to frame: struct.error) fails alone: earlier ops keep their results, the run's other batches run", async function () {
    const c = await client();
    const [broken, fine] = await Promise.all([
      c.request({
        ops: [
          { op: "read", path: "/proc/sys/kernel/osrelease" },
          { op: "netlink", message: Buffer.from("short") },
          { op: "read", path: "/proc/sys/kernel/hostname" },
        ],
      }),
      c.request({ ops: [{ op: "netlink", message: getLinkRequest("lo") }], readOnly: true }),
    ]);
    assert.equal(broken[0]?.kind, "data", "the op before the failure ran");
    assert.ok(broken[1]?.kind === "exception" || broken[1]?.kind === "oserror", JSON.stringify(broken[1]));
    assert.equal(broken[2]?.kind, "skipped", "the batch stops at its failure");
    assert.equal(fine[0]?.kind, "netlink", "the other batch of the same run ran");
  });

  it("a netns reference that is no network namespace is refused before it is used: a FIFO does not hang the relay, a device is not opened", async function () {
    await onHost(host, ["sh", "-c", "rm -f /tmp/nkr-fifo && mkfifo /tmp/nkr-fifo"]);
    const before = await linkNames(host);
    for (const [netns, why] of [
      ["/tmp/nkr-fifo", /not a network namespace/],
      ["/dev/null", /not a network namespace/],
      ["/proc/self/ns/uts", /a namespace, but not a network namespace/],
    ] as const) {
      const t0 = Date.now();
      const err = await netkitSingleProvider.create(checked(netkitSingleDefinition, { connection: connectionTo(host), name: "nkr-x", netns }) as never).then(
        () => assert.fail(`${netns} was accepted`),
        (e: unknown) => asError(e),
      );
      assert.match(err.message, why, netns);
      assert.ok(Date.now() - t0 < 30_000, `${netns} answered at once (${Date.now() - t0} ms)`);
    }
    assert.deepEqual(await linkNames(host), before);
    await onHost(host, ["rm", "-f", "/tmp/nkr-fifo"]);
  });

  it("writers take turns under the host's lock, and a run waits for it no longer than its deadline", async function () {
    // Another process (another stack's relay) holds the lock until the test lets it go; it marks
    // the moment it lets go before it does, so a run that sees the mark ran after the lock was free.
    const [held, release, released] = ["/tmp/nkr-lock-held", "/tmp/nkr-lock-release", "/tmp/nkr-lock-released"];
    await onHost(host, ["rm", "-f", held, release, released]);
    const holder = `touch ${held}; while [ ! -e ${release} ]; do sleep 0.05; done; touch ${released}`;
    const started = await onHost(host, [
      "setsid",
      "-f",
      "sh",
      "-c",
      `exec </dev/null >/dev/null 2>&1; mkdir -p /run/pulumi-netkit && exec flock /run/pulumi-netkit/lock sh -c '${holder}'`,
    ]);
    assert.equal(started.exitCode, 0, started.stderr.toString());
    try {
      await waitFor("the other process to hold the host's lock", async () => (await onHost(host, ["test", "-e", held])).exitCode === 0, 60_000, 100);
      const write = new RelayBatch();
      write.add("a write", { op: "netlink", message: getLinkRequest("lo") });

      // Its relay started and answered once (a read takes no lock): what follows is the lock's wait alone.
      const impatient = await client(8000); // its relay gives up by its own deadline (5 s)
      await impatient.request({ readOnly: true, ops: [{ op: "read", path: "/proc/sys/kernel/osrelease" }] });
      const t0 = Date.now();
      const refused = await impatient.run(write).then(
        (r) => r,
        (e: unknown) => asError(e),
      );
      const waited = Date.now() - t0;
      const err = refused instanceof Error ? refused : impatient.firstFailure(refused);
      assert.match(err?.message ?? "", /another pulumi-netkit relay held the host's lock until the deadline/);
      assert.ok(waited >= 4500 && waited < 8500, `gave up by its deadline, before the operation's time limit (${waited} ms)`);

      // The next writer asks while the lock is held: its relay waits (polling flock, asleep between
      // tries), its run does not end, and once the lock is let go it runs.
      const others = new Set((await sessionRelays(host)).map((r) => r.relay));
      const patient = await client();
      await patient.request({ readOnly: true, ops: [{ op: "read", path: "/proc/sys/kernel/osrelease" }] });
      const mine = (await sessionRelays(host)).filter((r) => !others.has(r.relay));
      assert.equal(mine.length, 1, `one relay started with the next writer's session: ${JSON.stringify(mine)}`);
      const after = new RelayBatch();
      after.add("the lock's holder let go", { op: "read", path: released });
      after.add("a write", { op: "netlink", message: getLinkRequest("lo") });
      let ended = false;
      const running = patient.run(after).finally(() => (ended = true));
      await waitFor("the next writer's relay to wait for the lock", () => waitsForLock(mine[0]!.relay), 60_000, 100);
      assert.equal(ended, false, "the next writer's run waits while another holds the lock");
      await onHost(host, ["touch", release]);
      const ok = await running;
      assert.equal(patient.firstFailure(ok), undefined, "the next writer ran once the lock was free (and saw it let go)");
      // Each client's relay lives as long as its session, or until the client closes it.
      impatient.close();
      patient.close();
    } finally {
      await onHost(host, ["touch", release]);
    }
    closeSessions(); // and the provider's own sessions, from the tests before
    for (const s of sessions.splice(0)) s.close();
    let left: string[] = [];
    await waitFor("the relays of this file's clients to end", async () => (left = (await relayProcesses()).filter((pid) => !foreign.has(pid))).length === 0, 60_000, 200).catch(
      () => undefined,
    );
    assert.deepEqual(left, [], "no relay is left running on the host once its client closed it");
  });

  it("every writing batch is journaled op by op; reads are not", async function () {
    const c = await client();
    const w = new RelayBatch();
    w.add("read lo", { op: "netlink", message: getLinkRequest("lo") });
    await c.run(w);
    const r = new RelayBatch({ readOnly: true });
    r.add("read lo", { op: "netlink", message: getLinkRequest("lo") });
    await c.run(r);
    const journal = await onHost(host, ["sh", "-c", `cat /run/pulumi-netkit/journal/${w.id}.jsonl; ls /run/pulumi-netkit/journal/${r.id}.jsonl 2>&1 || true`]);
    const lines = journal.stdout.toString().trim().split("\n");
    assert.deepEqual(
      lines.slice(0, 3).map((l) => Object.keys(JSON.parse(l) as object).sort()),
      [["data", "op"], ["errno", "op", "reply"], ["done"]],
      "the release read, the netlink op, and the end",
    );
    assert.match(lines[3] ?? "", /No such file/, "a read-only batch leaves no journal");
  });

  it("an ioctl on a socket: the argument and the buffers it points to come back as the kernel left them; a refusal is its errno", async function () {
    const c = await client();
    // SIOCGIFINDEX (0x8933): struct ifreq in, the ifindex written into it.
    const ifreq = Buffer.alloc(40);
    ifreq.write("lo");
    // SIOCETHTOOL with ETHTOOL_GDRVINFO (3): the driver's name written into the buffer ifr_data points to.
    const drvinfo = Buffer.alloc(196);
    drvinfo.writeUInt32LE(3, 0);
    const eth0 = Buffer.alloc(40);
    eth0.write("eth0");
    // ETHTOOL_GRXCLSRLCNT (0x2e) on a NIC without flow rules (virtio): EOPNOTSUPP.
    const rules = Buffer.alloc(192);
    rules.writeUInt32LE(0x2e, 0);
    const [index, info, refused] = await c.request({
      readOnly: true,
      stopOnError: false,
      ops: [
        { op: "ioctl", request: 0x8933, arg: ifreq },
        { op: "ioctl", request: 0x8946, arg: eth0, bufs: [[16, drvinfo]] },
        { op: "ioctl", request: 0x8946, arg: eth0, bufs: [[16, rules]] },
      ],
    });
    assert.ok(index?.kind === "ioctl" && index.ret === 0, JSON.stringify(index));
    assert.equal(index.arg.readInt32LE(16), 1, "lo is ifindex 1");
    assert.ok(info?.kind === "ioctl" && info.errno === 0, JSON.stringify(info));
    assert.equal(info.bufs[0]!.subarray(4, 36).toString().replace(/\0.*$/s, ""), "virtio_net");
    assert.ok(refused?.kind === "ioctl" && refused.errno === 95 && refused.ret === -1, JSON.stringify(refused));
  });

  it("a request sent aside (waitMs) is answered like any; one the kernel holds up ends at the wait with the pending child's pid", async function () {
    const c = await client();
    const [normal] = await c.request({ readOnly: true, ops: [{ op: "netlink", message: getLinkRequest("lo"), waitMs: 5000 }] });
    assert.ok(normal?.kind === "netlink" && normal.status.errno === 0 && normal.messages.length === 1, JSON.stringify(normal));
    // Without NLM_F_ACK the kernel sends the link and no status: the child keeps waiting for one,
    // as it would for a delete that unregistering holds up.
    const noAck = getLinkRequest("lo");
    noAck.writeUInt16LE(noAck.readUInt16LE(6) & ~0x4, 6);
    const t0 = Date.now();
    const [held, after] = await c.request({
      readOnly: true,
      stopOnError: false,
      ops: [
        { op: "netlink", message: noAck, waitMs: 1500 },
        { op: "netlink", message: getLinkRequest("lo") },
      ],
    });
    const took = Date.now() - t0;
    assert.ok(held?.kind === "oserror" && held.errno === 110 && typeof held.pending === "number", JSON.stringify(held));
    assert.match(held.message, /had not answered after 1500 ms; the request is still pending in process \d+/);
    assert.ok(took >= 1400 && took < 10_000, `answered after ${took} ms`);
    assert.equal(after?.kind, "netlink", "the relay goes on with the next op");
    const alive = await onHost(host, ["kill", "-0", String(held.pending)]);
    assert.equal(alive.exitCode, 0, "the child still waits");
    await onHost(host, ["kill", String(held.pending)]);
  });
});
