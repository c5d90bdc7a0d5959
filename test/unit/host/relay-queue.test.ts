// How relay requests to one host share runs (provider/host/relay-queue.ts), on an in-process
// stand-in for the relay whose runs end when the test says so: nothing here waits on a clock.
// The real session and host are the kernel and lifecycle tiers' (transport.test.ts counts a
// refresh's exec channels in sshd's log).
import assert from "node:assert/strict";
import { MAX_BATCHES_PER_RUN, RelayQueue, STREAM_IN_FLIGHT } from "../../../provider/host/relay-queue";
import type { RelayResult, RelayTransport } from "../../../provider/host/relay";

interface Run {
  batches: number;
  lock: boolean;
  /** Ends the run: each batch answered with one ok per op, or the run failing with `err`. */
  end(err?: Error): void;
}

/** A queue over a relay whose runs stay under way until the test ends them. */
function controlledQueue(): { queue: RelayQueue; runs: Run[]; sizes: () => number[] } {
  const runs: Run[] = [];
  const transport: RelayTransport = (batches, run) =>
    new Promise<RelayResult[][]>((resolve, reject) => {
      runs.push({
        batches: batches.length,
        lock: run.lock,
        end: (err) => (err ? reject(err) : resolve(batches.map((b) => b.ops.map((): RelayResult => ({ kind: "ok" }))))),
      });
    });
  return { queue: new RelayQueue(transport), runs, sizes: () => runs.map((r) => r.batches) };
}

const op = { op: "listdir", path: "/run/netns" } as const;
/** The end of the current turn of the event loop: a run the queue started in it has begun. */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe("unit: relay runs shared by the requests to one host", function () {
  it("requests made in one turn (the engine starting its next operations together) go in one run", async function () {
    const { queue, runs, sizes } = controlledQueue();
    const pending = [1, 2, 3, 4, 5].map(() => queue.request({ ops: [op] }));
    assert.deepEqual(sizes(), [], "the run starts at the end of the turn, with every request made in it");
    await turn();
    assert.deepEqual(sizes(), [5]);
    runs[0]!.end();
    const results = await Promise.all(pending);
    assert.ok(results.every((r) => r.length === 1 && r[0]!.kind === "ok"));
  });

  it(`a request goes at once while fewer than ${STREAM_IN_FLIGHT} runs are under way; what arrives while both are, waits and goes together`, async function () {
    const { queue, runs, sizes } = controlledQueue();
    const first = queue.request({ ops: [op] });
    await turn();
    assert.deepEqual(sizes(), [1], "sent without waiting for company");
    const second = queue.request({ ops: [op] });
    await turn();
    assert.deepEqual(sizes(), [1, 1], "a second run while the first is under way");
    const more = [1, 2, 3, 4].map(() => queue.request({ ops: [op] }));
    await turn();
    assert.deepEqual(sizes(), [1, 1], "no third run while two are under way");
    runs[1]!.end();
    await second;
    await turn();
    assert.deepEqual(sizes(), [1, 1, 4], "the four went together as soon as a place was free");
    runs[0]!.end();
    runs[2]!.end();
    await Promise.all([first, ...more]);
    assert.equal(queue.runCount, 3);
  });

  it(`a run's worth (${MAX_BATCHES_PER_RUN}) starts at once, without waiting for the turn to end; the rest go in the next run`, async function () {
    const { queue, runs, sizes } = controlledQueue();
    const all = Array.from({ length: MAX_BATCHES_PER_RUN + 3 }, () => queue.request({ ops: [op] }));
    assert.deepEqual(sizes(), [MAX_BATCHES_PER_RUN], "started as the 64th request arrived");
    await turn();
    assert.deepEqual(sizes(), [MAX_BATCHES_PER_RUN, 3]);
    for (const r of runs) r.end();
    await Promise.all(all);
  });

  it("a run takes the host's writer lock only when one of its requests may write; only those advance the write generation", async function () {
    const { queue, runs } = controlledQueue();
    const read = queue.request({ ops: [op], readOnly: true });
    await turn();
    assert.equal(queue.writeGeneration, 0);
    const mixed = [queue.request({ ops: [op], readOnly: true }), queue.request({ ops: [op] })];
    await turn();
    assert.equal(queue.writeGeneration, 1);
    assert.deepEqual(
      runs.map((r) => r.lock),
      [false, true],
    );
    for (const r of runs) r.end();
    await Promise.all([read, ...mixed]);
  });

  it("a failed run fails each of its requests with the cause; the next request starts a new run", async function () {
    const { queue, runs, sizes } = controlledQueue();
    const failing = [1, 2].map(() => queue.request({ ops: [op] }));
    await turn();
    runs[0]!.end(new Error("connection lost"));
    for (const p of failing) await assert.rejects(p, /connection lost/);
    const after = queue.request({ ops: [op] });
    await turn();
    assert.deepEqual(sizes(), [2, 1]);
    runs[1]!.end();
    assert.equal((await after)[0]!.kind, "ok");
  });
});
