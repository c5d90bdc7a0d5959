// The SSH connection dies while a create is in flight: the provider must not leave a device
// behind or claim success it cannot know; a re-run must converge. The fault is placed, not
// timed: the provider's relay on the host is held while the create's request reaches it, the
// sshd carrying the session is held so that the relay's answer cannot leave the host, the
// relay then runs the create (the kernel makes the device), and only then is the connection
// killed, with the answer still waiting on the host.
import assert from "node:assert/strict";
import { netkitPairProvider as provider } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, linkNames } from "../support/netkit";
import type { TestHost } from "../../testhost";
import { closeSessions } from "../../provider/runtime";
import { hostFor } from "../../provider/resources/hosts";
import { asError } from "../support/errors";
import { pipeBacklog, sessionRelays, signalOnHost, waitFor, type SessionRelay } from "../support/faults";

describe("kernel: connection dropped mid-create", function () {
  let host: TestHost;
  let session: SessionRelay | undefined;
  before(async function () {
    host = await sharedHost();
    // A fresh provider session: the relay that appears with it is the create's. Relays already
    // on the host (sessions just closed, or left by the worker's earlier files on this shared
    // host) are not the provider's, however long they take to end.
    closeSessions();
    const earlier = new Set((await sessionRelays(host)).map((r) => r.relay));
    await (await hostFor(connectionTo(host))).facts();
    const fresh = (await sessionRelays(host)).filter((r) => !earlier.has(r.relay));
    assert.equal(fresh.length, 1, `one relay started with the provider's session: ${JSON.stringify(fresh)}`);
    session = fresh[0];
  });
  after(async function () {
    if (session) await onHost(host, ["kill", "-CONT", String(session.relay), String(session.sshd)]);
    await onHost(host, ["ip", "link", "del", "nkdrop"]);
  });

  it("the answer is lost after the kernel made the device: the device is deleted again, the error says so, and a re-run creates it", async function () {
    const { relay, sshd } = session!;
    const inputs = checked(netkitPairDefinition, { connection: connectionTo(host), name: "nkdrop", peerName: "nkdropp" });

    await signalOnHost(host, "STOP", relay);
    const pending = provider.create(inputs as never).then(
      () => "created" as const,
      (e: unknown) => asError(e),
    );
    await waitFor("the create's request to wait in the relay's stdin", async () => (await pipeBacklog(host, relay, 0)) > 0, 60_000, 100);
    await signalOnHost(host, "STOP", sshd);
    await signalOnHost(host, "CONT", relay);
    await waitFor("the relay's answer to wait in its stdout, undelivered", async () => (await pipeBacklog(host, relay, 1)) > 0, 60_000, 100);
    assert.ok((await linkNames(host)).includes("nkdrop"), "the kernel made the device before the connection dropped");
    await signalOnHost(host, "KILL", sshd);

    const outcome = await pending;
    assert.notEqual(outcome, "created", "the provider cannot know the create succeeded: its answer never arrived");
    assert.match((outcome as Error).message, /connection dropped while creating netkit pair nkdrop; the device it had made was deleted again/);
    const names = await linkNames(host);
    assert.ok(!names.includes("nkdrop") && !names.includes("nkdropp"), `leaked: ${names.join(" ")}`);

    const r = await provider.create(inputs as never); // the re-run, on a fresh connection
    assert.equal((r.outs as { name: string }).name, "nkdrop");
  });
});
