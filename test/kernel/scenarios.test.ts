// The controller scenarios (test/support/scenarios.ts) live, against the real kernel of the
// test host, through the provider's own host client over SSH. With NETKIT_RECORD=1 each run's
// relay traffic and observations are written to test/fixtures/recordings/ (normalised: see
// recorded-host.ts), which the controller tier (test/controllers/) replays in-process; each
// scenario is then recorded on a host booted for it alone, so that what the kernel numbers in
// order (ifindexes, BPF ids) is the same in every recording of it.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { HostClient } from "../../provider/host/client";
import { decoding } from "../../provider/host/relay";
import { sshWireTransport } from "../../provider/host/relay-stream";
import { silentLogger } from "../../provider/log";
import { hostFor } from "../../provider/resources/hosts";
import { useHosts } from "../../provider/runtime";
import { connectionSchema } from "../../provider/connection";
import { SshSession } from "../../provider/ssh/session";
import { startTestHosts, type TestHost } from "../../testhost";
import { addNetdevsim, removeNetdevsim } from "../support/netdevsim";
import { recording, recordingPath, writeRecording, type Exchange } from "../support/recorded-host";
import { scenarios, type Scenario } from "../support/scenarios";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { skipBecause } from "../support/skip";

describe("kernel: controller scenarios, live (recorded for the controller tier with NETKIT_RECORD=1)", function () {
  const recordingRun = process.env.NETKIT_RECORD === "1";
  let host: TestHost;
  before(async function () {
    if (!recordingRun) host = await sharedHost();
  });

  for (const s of scenarios) {
    it(s.name, async function () {
      if (!recordingRun) return runScenario(this, s, host);
      const fresh = await startTestHosts(1, { name: `rec-${s.name}`.slice(0, 24) });
      try {
        await runScenario(this, s, fresh.hosts[0]!);
      } finally {
        await fresh.stop();
      }
    });
  }

  async function runScenario(ctx: Mocha.Context, s: Scenario, host: TestHost): Promise<void> {
    if (s.leases && !(await (await hostFor(connectionTo(host))).facts()).has.queueLease) skipBecause(ctx, `kernel ${host.kernelRelease} has no RX queue leasing`);
    const exchanges: Exchange[] = [];
    const session = await SshSession.open(connectionSchema.parse(connectionTo(host)), silentLogger);
    const client = new HostClient(session.host, decoding(recording(sshWireTransport(session), exchanges)), silentLogger);
    const restore = useHosts(async () => client);
    try {
      const observed = await s.run({
        conn: connectionTo(host),
        outOfBand: async (argv) => {
          const r = await onHost(host, argv);
          assert.equal(r.exitCode, 0, `${argv.join(" ")}: ${r.stderr.toString()}`);
        },
        nic: async (id, queues, name) => void (await addNetdevsim(host, id, queues, name)),
        removeNic: (id) => removeNetdevsim(host, id),
      });
      if (recordingRun) writeRecording({ scenario: s.name, kernel: host.kernelRelease, host: client.host, port: host.port, exchanges, observed });
      else assert.ok(existsSync(recordingPath(s.name)), `${recordingPath(s.name)} is missing: record it with NETKIT_RECORD=1 npm test -- test/kernel/scenarios.test.ts`);
    } finally {
      restore();
      session.close();
    }
  }
});
