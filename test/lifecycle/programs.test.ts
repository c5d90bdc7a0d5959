// BPF programs on a NetkitPair through the real engine, from a TypeScript program (the SDK)
// and from Pulumi YAML (the provider plugin), on the test-host kernel, with a ping to prove
// what runs: up attaches a passing program → a swap to a dropping one is an update (same
// ifindex; the ping stops) → the link detached by hand (the ping comes back): refresh shows
// it, up restores it (the ping stops again) → destroy leaves no link and no pin. The
// TypeScript route runs on our kernel and on Debian trixie's packaged 6.12 too. The YAML route
// then declares its program after another tool's link (attached by hand, as Cilium appends
// its own): an update moves it there, and the other tool's program decides first.
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { NetkitPair } from "../../sdk";
import type { TestHost } from "../../testhost";
import { inlineStack } from "../../harness/pulumi";
import { debianHost } from "../support/kernel-hosts";
import { yamlProject } from "../../harness/yaml";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import { attachByHand, bpffsEntries, detachLink, hookRuns, loadProgram, NETKIT_DROP, NETKIT_PASS, pings } from "../support/bpf";
import { BPF_NETKIT_PRIMARY } from "../../provider/bpf/syscall";
import { linkDir, linkPin } from "../../provider/host/programs";

describe("lifecycle: BPF programs on a NetkitPair (TypeScript and YAML)", function () {
  let host: TestHost;
  const ns = "nkp-pod";
  const PASS = "/sys/fs/bpf/nkp-pass";
  const DROP = "/sys/fs/bpf/nkp-drop";
  const FOREIGN_LINK = "/sys/fs/bpf/nkp-foreign-link";

  async function prepare(h: TestHost): Promise<void> {
    await onHost(h, ["ip", "netns", "add", ns]);
    await loadProgram(h, PASS, NETKIT_PASS, "nkp_pass");
    await loadProgram(h, DROP, NETKIT_DROP, "nkp_drop");
  }
  async function unprepare(h: TestHost): Promise<void> {
    await onHost(h, ["ip", "netns", "del", ns]);
    await onHost(h, ["rm", "-f", PASS, DROP]);
  }
  before(async function () {
    host = await sharedHost();
    await prepare(host);
  });
  after(async function () {
    await unprepare(host);
  });

  /** Addresses on both ends, so that a ping from the pod tells what the primary's hook does. */
  async function address(h: TestHost, name: string, peer: string): Promise<void> {
    for (const argv of [
      ["ip", "addr", "add", "10.78.0.1/30", "dev", name],
      ["ip", "-n", ns, "addr", "add", "10.78.0.2/30", "dev", peer],
    ]) {
      const r = await onHost(h, argv);
      assert.equal(r.exitCode, 0, `${argv.join(" ")}: ${r.stderr.toString()}`);
    }
  }
  const ifindexOf = async (h: TestHost, name: string) => Number((await sysfs(h, name))?.ifindex);

  /** The TypeScript route on `h`: up → swap → drift by hand → restore → destroy, pings all along. */
  async function typescriptLifecycle(h: TestHost, name: string): Promise<void> {
    let pins = [PASS];
    const t = await inlineStack(`programs-ts-${name}`, async () => {
      new NetkitPair("pod", { connection: connectionTo(h), name, peerName: "eth0", peerNetns: ns, programs: pins.map((pin) => ({ pin })) });
    });
    try {
      await t.stack.up();
      await address(h, name, "eth0");
      const ifindex = await ifindexOf(h, name);
      assert.equal(await pings(h, ns, "10.78.0.1"), true, "the pass program answers");

      pins = [DROP];
      const p = await t.stack.preview({ diff: true });
      assert.deepEqual([p.changeSummary.update, p.changeSummary.replace], [1, undefined], JSON.stringify(p.changeSummary));
      assert.match(p.stdout, /programs/);
      await t.stack.up();
      assert.equal(await ifindexOf(h, name), ifindex, "the same device");
      assert.equal(await pings(h, ns, "10.78.0.1"), false, "the drop program is swapped in");

      await detachLink(h, linkPin(ifindex, "primary", 0));
      assert.equal(await pings(h, ns, "10.78.0.1"), true, "detached by hand: nothing drops");
      const r = await t.stack.refresh();
      assert.equal(r.summary.resourceChanges?.update, 1, JSON.stringify(r.summary.resourceChanges));
      const drift = await t.stack.preview({ diff: true });
      assert.equal(drift.changeSummary.update, 1, JSON.stringify(drift.changeSummary));
      assert.match(drift.stdout, /nkp-drop/);
      await t.stack.up();
      assert.equal(await pings(h, ns, "10.78.0.1"), false, "up attached it again");
      assert.equal((await t.stack.preview({ expectNoChanges: true })).changeSummary.same, 2);

      await t.stack.destroy();
      assert.ok(!(await linkNames(h)).includes(name));
      assert.deepEqual(await bpffsEntries(h, linkDir(ifindex)), [], "a pin is left");
    } finally {
      await t.stack.destroy().catch(() => undefined);
      t.cleanup();
    }
  }

  it("TypeScript: up → swap (update, same ifindex) → detached by hand: refresh shows it, up restores it → destroy leaves nothing", async function () {
    await typescriptLifecycle(host, "nkp0");
  });

  it("TypeScript on Debian trixie's packaged kernel (6.12): the same", async function () {
    const h = await debianHost("trixie-6.12");
    await prepare(h);
    try {
      await typescriptLifecycle(h, "nkp2");
    } finally {
      await unprepare(h);
    }
  });

  it("YAML: the same through the provider plugin and the pulumi CLI", async function () {
    const program = (pin: string, place = "") =>
      `resources:\n  pod:\n    type: netkit:index:NetkitPair\n    properties:\n      name: nkp1\n      peerName: eth1\n      peerNetns: ${ns}\n      programs:\n        - pin: ${pin}\n${place}`;
    const p = await yamlProject("yaml-programs", host, program(PASS));
    const setProgram = (pin: string, place = "") => {
      const file = join(p.dir, "Pulumi.yaml");
      const text = readFileSync(file, "utf8");
      writeFileSync(file, text.slice(0, text.indexOf("resources:")) + program(pin, place));
    };
    try {
      await p.pulumi("up", "--yes");
      await address(host, "nkp1", "eth1");
      const ifindex = await ifindexOf(host, "nkp1");
      assert.equal(await pings(host, ns, "10.78.0.1"), true);

      setProgram(DROP);
      const preview = await p.pulumi("preview", "--diff");
      assert.match(preview, /~ netkit:index:NetkitPair: \(update\)/);
      assert.doesNotMatch(preview, /replace/);
      await p.pulumi("up", "--yes");
      assert.equal(await ifindexOf(host, "nkp1"), ifindex);
      assert.equal(await pings(host, ns, "10.78.0.1"), false);

      await detachLink(host, linkPin(ifindex, "primary", 0));
      assert.equal(await pings(host, ns, "10.78.0.1"), true);
      const refresh = await p.pulumi("refresh", "--yes");
      assert.match(refresh, /1 updated/);
      await p.pulumi("up", "--yes");
      assert.equal(await pings(host, ns, "10.78.0.1"), false);
      await p.pulumi("preview", "--expect-no-changes");

      // Another tool attaches a passing program after ours (as Cilium appends its link): ours
      // decides first. Declared to go after that tool's link, ours moves, in an update.
      await attachByHand(host, PASS, ifindex, BPF_NETKIT_PRIMARY, FOREIGN_LINK);
      assert.equal(await pings(host, ns, "10.78.0.1"), false, "our drop program runs first");
      setProgram(DROP, `          after:\n            link: ${FOREIGN_LINK}\n`);
      const moved = await p.pulumi("preview", "--diff");
      assert.match(moved, /~ netkit:index:NetkitPair: \(update\)/);
      assert.doesNotMatch(moved, /replace/);
      await p.pulumi("up", "--yes");
      assert.equal(await pings(host, ns, "10.78.0.1"), true, "the other tool's pass program now decides first");
      const hook = await hookRuns(host, ifindex, BPF_NETKIT_PRIMARY);
      assert.equal(hook.progs.length, 2, "the other tool's program is still there, once");
      assert.doesNotMatch(await p.pulumi("refresh", "--yes"), /updated/, "refresh finds it where declared");
      await p.pulumi("preview", "--expect-no-changes");

      await p.pulumi("destroy", "--yes");
      assert.ok(!(await linkNames(host)).includes("nkp1"));
      assert.deepEqual(await bpffsEntries(host, linkDir(ifindex)), []);
    } finally {
      await p.pulumi("destroy", "--yes").catch(() => undefined);
      await onHost(host, ["rm", "-f", FOREIGN_LINK]);
      p.cleanup();
    }
  });
});
