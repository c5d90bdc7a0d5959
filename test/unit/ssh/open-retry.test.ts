// Opening a channel again after the server refused one (provider/ssh/open-retry.ts), the one
// rule exec and stream share: a refusal is retried with a growing pause, a failure that may
// have run something never is, nor one on a closed connection or past the deadline. The
// pauses are recorded, not waited for.
import assert from "node:assert/strict";
import { SshError } from "../../../provider/errors";
import { AmbiguousOperationError } from "../../../provider/ssh/ambiguous";
import { CHANNEL_OPEN_ATTEMPTS, openWithRetries } from "../../../provider/ssh/open-retry";
import { Capture } from "../../support/capture";

const refused = () => new SshError("u@h:22", "transport", "cannot start relay: (SSH) Channel open failure: open failed");

/** An open that fails with each of `failures` in turn, then succeeds; and the pauses asked for. */
function attempts(...failures: Error[]) {
  const pauses: number[] = [];
  let calls = 0;
  const open = async () => {
    const f = failures[calls++];
    if (f) throw f;
    return "opened";
  };
  const opts = (o: { isOpen?: () => boolean; deadline?: number } = {}) => ({
    host: "u@h:22",
    deadline: o.deadline ?? 10_000,
    isOpen: o.isOpen ?? (() => true),
    log: new Capture(),
    now: () => pauses.reduce((t, ms) => t + ms, 0), // the clock moves by the pauses only
    pause: async (ms: number) => void pauses.push(ms),
  });
  return { open, opts, pauses, calls: () => calls };
}

describe("ssh parts: a refused channel is opened again", () => {
  it("after 100 ms, 200 ms, … while the server refuses, and gives up after the last attempt with the refusal", async () => {
    const a = attempts(refused(), refused());
    assert.equal(await openWithRetries(a.open, a.opts()), "opened");
    assert.deepEqual(a.pauses, [100, 200]);

    const b = attempts(...Array.from({ length: CHANNEL_OPEN_ATTEMPTS }, refused));
    await assert.rejects(openWithRetries(b.open, b.opts()), /Channel open failure/);
    assert.equal(b.calls(), CHANNEL_OPEN_ATTEMPTS);
    assert.deepEqual(b.pauses, [100, 200, 300, 400]);
  });

  it("never after a failure that may have run the command (ambiguous), even one that reads like a refusal", async () => {
    const a = attempts(new AmbiguousOperationError("u@h:22", "transport", "cannot start relay: (SSH) Channel open failure; it may have run"));
    await assert.rejects(openWithRetries(a.open, a.opts()), AmbiguousOperationError);
    assert.equal(a.calls(), 1);
    assert.deepEqual(a.pauses, []);
  });

  it("never after any other failure, on a closed connection, or when the pause would end past the deadline", async () => {
    const other = attempts(new SshError("u@h:22", "privilege", "sudo refused"));
    await assert.rejects(openWithRetries(other.open, other.opts()), /sudo refused/);
    assert.equal(other.calls(), 1);

    const closed = attempts(refused());
    await assert.rejects(openWithRetries(closed.open, closed.opts({ isOpen: () => false })), /Channel open failure/);
    assert.equal(closed.calls(), 1);

    const late = attempts(refused(), refused());
    await assert.rejects(openWithRetries(late.open, late.opts({ deadline: 250 })), /Channel open failure/);
    assert.deepEqual(late.pauses, [100], "the second pause (200 ms, ending at 300) would pass the deadline (250)");
  });
});
