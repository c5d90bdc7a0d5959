// The controller scenarios (test/support/scenarios.ts) live, against the real kernel of the
// test host, through the provider's own host client over SSH. With NETKIT_RECORD=1 each run's
// relay traffic and observations are written to test/fixtures/recordings/, which the
// controller tier (test/controllers/) replays in-process.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { HostClient } from "../../provider/host/client";
import { decoding } from "../../provider/host/relay";
import { sshWireTransport } from "../../provider/host/relay-stream";
import { silentLogger } from "../../provider/log";
import { hostFor } from "../../provider/resources/context";
import { useHosts } from "../../provider/runtime";
import { connectionSchema } from "../../provider/connection";
import { SshSession } from "../../provider/ssh/session";
import type { TestHost } from "../../testhost";
import { addNetdevsim, removeNetdevsim } from "../support/netdevsim";
import { recording, recordingPath, writeRecording, type Exchange } from "../support/recorded-host";
import { scenarios } from "../support/scenarios";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { skipBecause } from "../support/skip";

describe("kernel: controller scenarios, live (recorded for the controller tier with NETKIT_RECORD=1)", function () {
  let host: TestHost;
  before(async function () {
    host = await sharedHost();
  });

  for (const s of scenarios) {
    it(s.name, async function () {
      if (s.leases && !(await (await hostFor(connectionTo(host))).facts()).has.queueLease) skipBecause(this, `kernel ${host.kernelRelease} has no RX queue leasing`);
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
        if (process.env.NETKIT_RECORD === "1") writeRecording({ scenario: s.name, kernel: host.kernelRelease, host: client.host, port: host.port, exchanges, observed });
        else assert.ok(existsSync(recordingPath(s.name)), `${recordingPath(s.name)} is missing: record it with NETKIT_RECORD=1 npm test -- kernel`);
      } finally {
        restore();
        session.close();
      }
    });
  }
});
