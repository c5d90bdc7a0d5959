// Host checks at preview, through the real engine: what only the host knows fails
// `pulumi preview` (not only `up`), naming the field, while the host stays as it was: a
// NetkitSingle on a kernel without single mode (Debian trixie's 6.12), a name another device
// has, a netns or NIC that does not exist, a NIC queue out of range. Names the stack itself
// holds are not collisions, except as the target of a rename or move in place. A host that cannot be reached leaves the preview working, with a
// warning that it could not check; netkit:previewChecks false asks no host at all.
import assert from "node:assert/strict";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { NetkitPair, NetkitSingle, RxqBinding } from "../../sdk";
import type { TestHost } from "../../testhost";
import { asError } from "../support/errors";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { debianHost } from "../support/kernel-hosts";
import { linkNames } from "../support/netkit";
import { addNetdevsim, removeNetdevsim } from "../support/netdevsim";
import { hostFor } from "../../provider/resources/hosts";
import { skipBecause } from "../support/skip";

type Declare = (host: TestHost) => void;

/** Every diagnostic the engine printed during an operation. */
function diagnostics(): { onEvent: (e: EngineEvent) => void; text: () => string } {
  const lines: string[] = [];
  return { onEvent: (e) => e.diagnosticEvent && lines.push(e.diagnosticEvent.message), text: () => lines.join("\n") };
}

describe("lifecycle: host checks at preview", function () {
  let host: TestHost;
  let declare: Declare = () => undefined;
  let target: () => TestHost;
  let t: TestStack;
  const ns = "nkv-pod";
  const NSIM = 7711;
  let leasing = false;

  before(async function () {
    host = await sharedHost();
    target = () => host;
    leasing = (await (await hostFor(connectionTo(host))).facts()).has.queueLease;
    await onHost(host, ["ip", "netns", "add", ns]);
    await onHost(host, ["ip", "link", "add", "nkv-taken", "type", "dummy"]);
    if (leasing) await addNetdevsim(host, NSIM, 2, "nkv-nic0");
    t = await inlineStack("preview-checks", async () => declare(target()));
  });
  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "link", "del", "nkv-taken"]);
    await onHost(host, ["ip", "netns", "del", ns]);
    if (leasing) await removeNetdevsim(host, NSIM);
  });

  /** The preview must fail with `reason`, and no host may change. */
  async function refused(reason: RegExp): Promise<void> {
    const h = target();
    const before = [await linkNames(h), await linkNames(h, ns).catch(() => [])];
    const err = await t.stack.preview().then(
      () => assert.fail("preview must fail"),
      (e: unknown) => asError(e),
    );
    assert.match(err.message, reason);
    assert.deepEqual([await linkNames(h), await linkNames(h, ns).catch(() => [])], before, "a preview changes nothing");
  }

  it("a name another device has fails the preview on that field", async function () {
    declare = (h) => void new NetkitPair("pod", { connection: connectionTo(h), name: "nkv-taken", peerName: "eth0", peerNetns: ns });
    await refused(
      /NetkitPair resource 'pod': property name value \{nkv-taken\} has a problem: .*nkv-taken is taken by a dummy device \(ifindex \d+\) that this stack did not create/,
    );
  });

  it("a peer name taken inside the pod's netns, and a missing netns, fail on their fields", async function () {
    await onHost(host, ["ip", "-n", ns, "link", "add", "eth9", "type", "dummy"]);
    try {
      declare = (h) => void new NetkitPair("pod", { connection: connectionTo(h), name: "nkv0", peerName: "eth9", peerNetns: ns });
      await refused(/property peerName value \{eth9\} has a problem: .*eth9 is taken in netns nkv-pod by a dummy device/);
    } finally {
      await onHost(host, ["ip", "-n", ns, "link", "del", "eth9"]);
    }
    declare = (h) => void new NetkitSingle("xsk", { connection: connectionTo(h), name: "nkv1", netns: "nkv-nowhere" });
    await refused(/property netns value \{nkv-nowhere\} has a problem: .*netns nkv-nowhere does not exist: create it first \(ip netns add nkv-nowhere\)/);
  });

  it("a program that is not pinned fails the preview on its entry's pin", async function () {
    declare = (h) => void new NetkitPair("pod", { connection: connectionTo(h), name: "nkv0", peerName: "eth0", peerNetns: ns, peerPrograms: [{ pin: "/sys/fs/bpf/nkv-nothing" }] });
    await refused(/property peerPrograms\[0\]\.pin .*has a problem: .*nothing is pinned at \/sys\/fs\/bpf\/nkv-nothing: load the program and pin it first/);
  });

  it("a lease of a NIC that does not exist, or of a queue the NIC lacks, fails on the lease's field", async function () {
    if (!leasing) skipBecause(this, `kernel ${host.kernelRelease} has no RX queue leasing`);
    declare = (h) => void new NetkitSingle("xsk", { connection: connectionTo(h), name: "nkv1", netns: ns, leases: [{ nic: "nkv-nonic", queue: 0 }] });
    await refused(/property leases\[0\]\.nic .*has a problem: .*NIC nkv-nonic does not exist in the host's network namespace/);
    declare = (h) =>
      void new NetkitSingle("xsk", {
        connection: connectionTo(h),
        name: "nkv1",
        netns: ns,
        leases: [
          { nic: "nkv-nic0", queue: 1 },
          { nic: "nkv-nic0", queue: 5 },
        ],
      });
    await refused(/property leases\[1\]\.queue .*has a problem: .*nkv-nic0 has 2 RX queues \(0 … 1\): queue 5 is out of range/);
    declare = (h) => {
      const xsk = new NetkitSingle("xsk", { connection: connectionTo(h), name: "nkv1", netns: ns, numRxQueues: 2 });
      new RxqBinding("rxq", { device: xsk, nic: "nkv-nic0", nicQueue: 7 });
    };
    await refused(/RxqBinding resource 'rxq': property nicQueue value \{7\} has a problem: .*queue 7 is out of range/);
  });

  it("the stack's own names are no collision: up, then no-change, update and replacement previews pass", async function () {
    let mtu = 1500;
    let mode: "l2" | "l3" = "l3";
    declare = (h) => void new NetkitPair("pod", { connection: connectionTo(h), name: "nkv0", peerName: "eth0", peerNetns: ns, mtu, mode });
    await t.stack.up();
    await t.stack.preview({ expectNoChanges: true });
    mtu = 9000;
    const p = await t.stack.preview();
    assert.equal(p.changeSummary.update, 1, JSON.stringify(p.changeSummary));
    // A replacement is checked twice by the engine, the second time without the old inputs.
    mode = "l2";
    const r = await t.stack.preview();
    assert.equal(r.changeSummary.replace, 1, JSON.stringify(r.changeSummary));
    await t.stack.destroy();
  });

  it("a rename or move in place needs its target free: a taken name or a missing netns fails the preview, a free one is an update", async function () {
    const to = { name: "nkv0", peerName: "eth0", peerNetns: ns, second: false };
    declare = (h) => {
      new NetkitPair("pod", { connection: connectionTo(h), ...{ name: to.name, peerName: to.peerName, peerNetns: to.peerNetns } });
      if (to.second) new NetkitSingle("other", { connection: connectionTo(h), name: "nkv2" });
    };
    to.second = true;
    await t.stack.up();
    try {
      Object.assign(to, { name: "nkv-taken" });
      await refused(/NetkitPair resource 'pod': property name value \{nkv-taken\} has a problem: .*nkv-taken is taken by a dummy device/);
      // Another resource of the stack holds it and keeps it: a rename cannot take it either.
      Object.assign(to, { name: "nkv2" });
      await refused(/property name value \{nkv2\} has a problem: .*nkv2 is taken by a netkit primary/);
      Object.assign(to, { name: "nkv0", peerNetns: "nkv-nowhere" });
      await refused(/property peerNetns value \{nkv-nowhere\} has a problem: .*netns nkv-nowhere does not exist/);
      Object.assign(to, { name: "nkv0r", peerName: "eth1", peerNetns: ns });
      const p = await t.stack.preview();
      assert.deepEqual([p.changeSummary.update, p.changeSummary.replace], [1, undefined], JSON.stringify(p.changeSummary));
    } finally {
      Object.assign(to, { name: "nkv0", peerName: "eth0", peerNetns: ns });
      await t.stack.destroy();
    }
  });

  it("a host that cannot be reached: the preview works and says it could not check", async function () {
    declare = (h) => void new NetkitPair("pod", { connection: { ...connectionTo(h), port: 9, dialAttempts: 1 }, name: "nkv-taken", peerName: "eth0" });
    const d = diagnostics();
    const p = await t.stack.preview({ onEvent: d.onEvent });
    assert.equal(p.changeSummary.create, 2, JSON.stringify(p.changeSummary)); // the stack and the pair
    assert.match(d.text(), /could not check 127\.0\.0\.1:9 before changing it \(.*\): this preview shows what the program declares, not what that host would accept/);
  });

  it("netkit:previewChecks false asks no host: the taken name previews green", async function () {
    declare = (h) => void new NetkitPair("pod", { connection: connectionTo(h), name: "nkv-taken", peerName: "eth0", peerNetns: ns });
    await t.stack.setConfig("netkit:previewChecks", { value: "false" });
    try {
      const p = await t.stack.preview();
      assert.equal(p.changeSummary.create, 2, JSON.stringify(p.changeSummary)); // the stack and the pair
    } finally {
      await t.stack.removeConfig("netkit:previewChecks");
    }
  });

  describe("on Debian trixie's 6.12 (netkit, no single mode)", function () {
    let old: TestHost;
    before(async function () {
      old = await debianHost("trixie-6.12");
      await onHost(old, ["ip", "netns", "add", ns]);
    });
    after(async function () {
      target = () => host;
      await onHost(old, ["ip", "netns", "del", ns]);
    });

    it("a NetkitSingle fails the preview: the kernel has no single mode; a headroom the kernel lacks fails on that field", async function () {
      target = () => old;
      declare = (h) => void new NetkitSingle("xsk", { connection: connectionTo(h), name: "nkv1", netns: ns });
      await refused(/kernel 6\.12[^ ]* has no netkit single mode/);
      declare = (h) => void new NetkitPair("pod", { connection: connectionTo(h), name: "nkv0", peerName: "eth0", peerNetns: ns, headroom: 64 });
      await refused(/NetkitPair resource 'pod': property headroom value \{64\} has a problem: .*has no netkit headroom setting .*headroom 64 needs it/);
    });
  });
});
