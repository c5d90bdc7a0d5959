// The controller tier: each scenario of test/support/scenarios.ts replayed in-process from
// what the kernel answered when it was recorded (test/fixtures/recordings/): the controllers
// must send exactly the requests the kernel got, and observe exactly what they observed then.
// Seconds, no VM; the kernel and lifecycle tiers stay the proof.
import assert from "node:assert/strict";
import { useHosts } from "../../provider/runtime";
import { readRecording, replayHost } from "../support/recorded-host";
import { scenarios } from "../support/scenarios";

describe("controllers: lifecycles replayed from recorded kernel replies", function () {
  // Well under a second per scenario; the margin is for a loaded machine.
  this.timeout(20_000);
  for (const s of scenarios) {
    it(`${s.name}: the same requests, the same observations`, async function () {
      const rec = readRecording(s.name);
      const { client, unanswered } = replayHost(rec);
      const restore = useHosts(async () => client);
      try {
        const skip = async () => undefined;
        const observed = await s.run({ conn: { host: "127.0.0.1", port: rec.port, user: "root", privateKey: "(replayed: no SSH)" }, outOfBand: skip, nic: skip, removeNic: skip });
        assert.deepEqual(observed, rec.observed, `replay of ${s.name} (recorded on ${rec.kernel})`);
        assert.equal(unanswered().length, 0, `every recorded request was sent again (${unanswered().length} were not)`);
      } finally {
        restore();
      }
    });
  }
});
