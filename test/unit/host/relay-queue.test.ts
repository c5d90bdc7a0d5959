// How relay requests to one host share runs (provider/host/relay-queue.ts), on an in-process
// stand-in for the relay that answers every batch. The real session and host are the kernel
// and lifecycle tiers' (transport.test.ts counts a refresh's exec channels in sshd's log).
import assert from "node:assert/strict";
import { RelayQueue, STREAMING, type QueueOptions } from "../../../provider/host/relay-queue";
import type { RelayResult, RelayTransport } from "../../../provider/host/relay";

/** A relay whose every run answers each batch with one ok per op. */
function fakeQueue(opts?: QueueOptions): { queue: RelayQueue; runs: number[] } {
  const runs: number[] = [];
  const transport: RelayTransport = async (batches) => {
    runs.push(batches.length);
    await new Promise((r) => setTimeout(r, 30)); // a run takes time: requests meanwhile wait
    return batches.map((b) => b.ops.map((): RelayResult => ({ kind: "ok" })));
  };
  return { queue: new RelayQueue(transport, opts), runs };
}

const op = { op: "listdir", path: "/run/netns" } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("unit: relay runs shared by the requests to one host", function () {
  it("requests a few ms apart (the engine starting its next operations) go in one run", async function () {
    const { queue, runs } = fakeQueue();
    const pending = [];
    for (let i = 0; i < 5; i++) {
      pending.push(queue.request({ ops: [op] }));
      await sleep(10);
    }
    const results = await Promise.all(pending);
    assert.deepEqual(runs, [5]);
    assert.ok(results.every((r) => r.length === 1 && r[0]!.kind === "ok"));
  });

  it("requests that arrive during a run go together in the next one", async function () {
    const { queue, runs } = fakeQueue();
    const first = queue.request({ ops: [op] });
    await sleep(110); // past the gathering: the first run is under way
    const later = [1, 2, 3].map(() => queue.request({ ops: [op] }));
    await Promise.all([first, ...later]);
    assert.deepEqual(runs, [1, 3]);
  });

  it("a run's worth of waiting requests starts at once, without waiting to gather", async function () {
    const { queue, runs } = fakeQueue();
    const all = Array.from({ length: 64 }, () => queue.request({ ops: [op] }));
    assert.deepEqual(runs, [64], "the run started as the 64th request arrived, before any timer");
    await Promise.all(all);
  });

  it("only requests not marked read-only advance the write generation", async function () {
    const { queue } = fakeQueue();
    await queue.request({ ops: [op], readOnly: true });
    assert.equal(queue.writeGeneration, 0);
    await queue.request({ ops: [op] });
    assert.equal(queue.writeGeneration, 1);
  });

  it("on a long-lived relay (STREAMING) a request goes at once, two runs are under way, and what arrives meanwhile shares the next run", async function () {
    const { queue, runs } = fakeQueue(STREAMING);
    const first = queue.request({ ops: [op] });
    await sleep(5);
    assert.deepEqual(runs, [1], "sent without waiting to gather");
    const second = queue.request({ ops: [op] });
    await sleep(5);
    assert.deepEqual(runs, [1, 1], "a second run while the first is under way");
    const more = [1, 2, 3, 4].map(() => queue.request({ ops: [op] }));
    await Promise.all([first, second, ...more]);
    assert.deepEqual(runs, [1, 1, 4], "the rest waited for a free place and went together");
    assert.equal(queue.runCount, 3);
  });
});
