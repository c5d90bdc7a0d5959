// How relay requests to one host share runs (provider/host/relay.ts), on an in-process
// stand-in for the SSH session that answers every batch. The real session and host are the
// kernel and lifecycle tiers' (transport.test.ts counts a refresh's exec channels in sshd's log).
import assert from "node:assert/strict";
import { runRelay, writeGeneration } from "../../../provider/host/relay";
import type { ExecOptions, ExecResult, SshSession } from "../../../provider/ssh/session";

/** A session whose every exec is a relay run answering each batch with one ok per op. */
function fakeSession(): { session: SshSession; runs: number[] } {
  const runs: number[] = [];
  const exec = async (_argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => {
    const req = JSON.parse(String(opts.stdin)) as { batches: Array<{ ops: unknown[] }> };
    runs.push(req.batches.length);
    await new Promise((r) => setTimeout(r, 30)); // a run takes time: requests meanwhile wait
    const batches = req.batches.map((b) => ({ results: b.ops.map(() => ({ ok: true })) }));
    return { exitCode: 0, stdout: Buffer.from(JSON.stringify({ batches })), stderr: Buffer.alloc(0), durationMs: 30 };
  };
  return { session: { host: "fake:22", exec } as unknown as SshSession, runs };
}

const op = { listdir: "/run/netns" } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("unit: relay runs shared by the requests to one host", function () {
  it("requests a few ms apart (the engine starting its next operations) go in one run", async function () {
    const { session, runs } = fakeSession();
    const pending = [];
    for (let i = 0; i < 5; i++) {
      pending.push(runRelay(session, { ops: [op] }));
      await sleep(10);
    }
    const results = await Promise.all(pending);
    assert.deepEqual(runs, [5]);
    assert.ok(results.every((r) => r.length === 1 && r[0]!.kind === "ok"));
  });

  it("requests that arrive during a run go together in the next one", async function () {
    const { session, runs } = fakeSession();
    const first = runRelay(session, { ops: [op] });
    await sleep(110); // past the gathering: the first run is under way
    const later = [1, 2, 3].map(() => runRelay(session, { ops: [op] }));
    await Promise.all([first, ...later]);
    assert.deepEqual(runs, [1, 3]);
  });

  it("a run's worth of waiting requests starts at once, without waiting to gather", async function () {
    const { session, runs } = fakeSession();
    const all = Array.from({ length: 64 }, () => runRelay(session, { ops: [op] }));
    assert.deepEqual(runs, [64], "the run started as the 64th request arrived, before any timer");
    await Promise.all(all);
  });

  it("only requests not marked read-only advance the write generation", async function () {
    const { session } = fakeSession();
    await runRelay(session, { ops: [op], readOnly: true });
    assert.equal(writeGeneration(session), 0);
    await runRelay(session, { ops: [op] });
    assert.equal(writeGeneration(session), 1);
  });
});
