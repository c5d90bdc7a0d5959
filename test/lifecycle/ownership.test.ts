// A stack acts only on the devices it made, through the real engine on the test host: when a
// managed device is deleted out of band and someone makes their own under the same name, an
// update refuses to touch it, refresh drops the record with a warning that names it, destroy
// leaves it alone, and a create whose connection dropped deletes only what its batch made.
import assert from "node:assert/strict";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { NetkitPair, NetkitSingle } from "../../sdk";
import { HostClient } from "../../provider/host/client";
import { CreateInDoubt } from "../../provider/host/in-doubt";
import { createNetkit, settleCreate } from "../../provider/host/netkit-ops";
import { decoding } from "../../provider/host/relay";
import { sshWireTransport } from "../../provider/host/relay-stream";
import { silentLogger } from "../../provider/log";
import { AmbiguousOperationError } from "../../provider/ssh/ambiguous";
import { connectionSchema } from "../../provider/connection";
import { SshSession } from "../../provider/ssh/session";
import type { TestHost } from "../../testhost";
import { asError } from "../support/errors";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { sysfs } from "../support/netkit";
import { netkitIp } from "../support/plugin";

/** Every diagnostic the engine printed during an operation. */
function diagnostics(): { onEvent: (e: EngineEvent) => void; text: () => string } {
  const lines: string[] = [];
  return { onEvent: (e) => e.diagnosticEvent && lines.push(e.diagnosticEvent.message), text: () => lines.join("\n") };
}

describe("lifecycle: a stack touches only the devices it made", function () {
  let host: TestHost;
  const ns = "nko-pod";
  const cfg = { mtu: 1500 };
  let t: TestStack | undefined;

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
  });
  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    for (const d of ["nko0", "nko2"]) await onHost(host, ["ip", "link", "del", d]);
    await onHost(host, ["ip", "netns", "del", ns]);
  });

  /** A stack with a pair and a single device, up; then both replaced by hand with devices of the same names. */
  async function upThenReplacedByHand(project: string): Promise<TestStack> {
    const s = await inlineStack(project, async () => {
      new NetkitPair("pod", { connection: connectionTo(host), name: "nko0", peerName: "nko0p", peerNetns: ns, mtu: cfg.mtu });
      new NetkitSingle("xsk", { connection: connectionTo(host), name: "nko1", netns: ns, mtu: cfg.mtu });
    });
    await s.stack.up();
    // Deleted out of band; someone else's devices take the names: a netkit pair with another
    // peer name, and a dummy device in the pod.
    await onHost(host, ["ip", "link", "del", "nko0"]);
    await onHost(host, ["ip", "-n", ns, "link", "del", "nko1"]);
    const ip = await netkitIp(host);
    assert.equal((await onHost(host, [ip, "link", "add", "nko0", "type", "netkit", "peer", "name", "theirs0"])).exitCode, 0);
    assert.equal((await onHost(host, ["ip", "-n", ns, "link", "add", "nko1", "type", "dummy"])).exitCode, 0);
    return s;
  }

  it("an update refuses to change a same-named device that is not the stack's", async function () {
    t = await upThenReplacedByHand("ownership-update");
    const before = [await sysfs(host, "nko0"), await sysfs(host, "nko1", ns)];
    cfg.mtu = 9000;
    const err = await t.stack.up().then(
      () => assert.fail("up must refuse"),
      (e: unknown) => asError(e),
    );
    assert.match(err.message, /refusing to change nko0: it is not the device this stack manages \(found a netkit primary \(ifindex \d+\), recorded ifindex \d+\)/);
    assert.match(err.message, /refusing to change nko1 \(netns \/run\/netns\/nko-pod\): it is not the device this stack manages \(found a dummy device/);
    assert.deepEqual([await sysfs(host, "nko0"), await sysfs(host, "nko1", ns)], before, "their devices are untouched");
  });

  it("refresh drops the records with a warning naming each device, and leaves the devices alone", async function () {
    const d = diagnostics();
    const r = await t!.stack.refresh({ onEvent: d.onEvent });
    assert.equal(r.summary.resourceChanges?.delete, 2, JSON.stringify(r.summary.resourceChanges));
    assert.match(d.text(), /nko0 is now a netkit device with ifindex \d+, not the one this stack created \(ifindex \d+\); dropping it from the state and leaving it alone/);
    assert.match(d.text(), /nko1 is now a dummy device with ifindex \d+, not the one this stack created/);
    assert.ok((await sysfs(host, "nko0")) && (await sysfs(host, "nko1", ns)), "their devices are still there");
    await t!.stack.destroy();
    t!.cleanup();
    t = undefined;
  });

  it("destroy deletes nothing that is not the stack's: it leaves their devices, saying so", async function () {
    for (const dev of [
      ["ip", "link", "del", "nko0"],
      ["ip", "-n", ns, "link", "del", "nko1"],
    ])
      await onHost(host, dev);
    cfg.mtu = 1500;
    t = await upThenReplacedByHand("ownership-destroy");
    const theirs = [await sysfs(host, "nko0"), await sysfs(host, "nko1", ns)];
    const d = diagnostics();
    await t.stack.destroy({ onEvent: d.onEvent });
    assert.match(d.text(), /nko0 is now a netkit primary \(ifindex \d+\), not the device this stack created; left it alone/);
    assert.match(d.text(), /nko1 is now a dummy device \(ifindex \d+\), not the device this stack created; left it alone/);
    assert.deepEqual([await sysfs(host, "nko0"), await sysfs(host, "nko1", ns)], theirs);
    for (const dev of [
      ["ip", "link", "del", "nko0"],
      ["ip", "-n", ns, "link", "del", "nko1"],
    ])
      await onHost(host, dev);
  });

  describe("a create whose connection dropped", function () {
    const sessions: SshSession[] = [];
    after(function () {
      for (const s of sessions) s.close();
    });
    /** A client whose run really happens on the host, but whose answer is lost: a drop after the batch was sent. */
    const dropping = async () => {
      const s = await SshSession.open(connectionSchema.parse(connectionTo(host)), silentLogger);
      sessions.push(s);
      const wire = sshWireTransport(s);
      return new HostClient(
        s.host,
        decoding(async (batches, run) => {
          await wire(batches, run);
          throw new AmbiguousOperationError(s.host, "transport", "connection lost (simulated after the run)");
        }),
        silentLogger,
      );
    };
    const fresh = async () => {
      const s = await SshSession.open(connectionSchema.parse(connectionTo(host)), silentLogger);
      sessions.push(s);
      return HostClient.overSsh(s, silentLogger);
    };
    const request = {
      primary: { name: "nko2" },
      peer: { name: "nko2p" },
      create: { mode: "l3" as const, pairing: "pair" as const, primary: { name: "nko2" }, peer: { name: "nko2p" } },
      primaryUp: true,
      peerUp: true,
      verify: () => undefined,
    };

    it("deletes the device its batch made, as the host's journal proves", async function () {
      const doubt = await createNetkit(await dropping(), request).then(
        () => assert.fail("the drop must surface"),
        (e: unknown) => e,
      );
      assert.ok(doubt instanceof CreateInDoubt);
      assert.ok(await sysfs(host, "nko2"), "the create happened on the host");
      assert.deepEqual(await settleCreate(await fresh(), { name: "nko2" }, doubt), { outcome: "deleted" });
      assert.equal(await sysfs(host, "nko2"), undefined);
    });

    it("leaves a same-named device alone when the journal shows its batch did not make it", async function () {
      assert.equal((await onHost(host, ["ip", "link", "add", "nko2", "type", "dummy"])).exitCode, 0);
      const theirs = await sysfs(host, "nko2");
      const doubt = await createNetkit(await dropping(), request).then(
        () => assert.fail("the drop must surface"),
        (e: unknown) => e,
      );
      assert.ok(doubt instanceof CreateInDoubt);
      assert.deepEqual(await settleCreate(await fresh(), { name: "nko2" }, doubt), { outcome: "gone" });
      assert.deepEqual(await sysfs(host, "nko2"), theirs, "their device is untouched");
    });
  });
});
