// Concurrency through the real engine: two stacks on one host at the same time (a TypeScript
// stack with the dynamic provider, and a YAML stack with the plugin: separate engine and
// provider processes, disjoint devices), and one stack managing 8 hosts in parallel.
import assert from "node:assert/strict";
import { NetkitPair } from "pulumi-netkit";
import { startTestHosts, type TestHost, type TestHostSet } from "../../testhost";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { yamlProject } from "../../harness/yaml";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { linkNames } from "../support/netkit";

const netkitOf = (links: string[], prefix: string) => links.filter((l) => l.startsWith(prefix)).sort();

describe("lifecycle: concurrency", function () {
  describe("two stacks on one host, disjoint devices, at the same time", function () {
    let host: TestHost;
    const ns = "nkc-pod";
    before(async function () {
      host = await sharedHost();
      await onHost(host, ["ip", "netns", "add", ns]);
    });
    after(async function () {
      await onHost(host, ["ip", "netns", "del", ns]);
    });

    it("up and destroy of both overlap; each gets exactly its devices; nothing is left", async function () {
      const ts: TestStack = await inlineStack("conc-ts", async () => {
        for (let i = 0; i < 4; i++) new NetkitPair(`a${i}`, { connection: connectionTo(host), name: `nkca${i}`, peerName: `pa${i}`, peerNetns: ns });
      });
      const pairs = [0, 1, 2, 3]
        .map((i) => `  b${i}:\n    type: netkit:index:NetkitPair\n    properties:\n      name: nkcb${i}\n      peerName: pb${i}\n      peerNetns: ${ns}\n`)
        .join("");
      const yaml = await yamlProject("conc-yaml", host, `resources:\n${pairs}`);
      try {
        await Promise.all([ts.stack.up(), yaml.pulumi("up", "--yes")]);
        const links = await linkNames(host);
        assert.deepEqual(netkitOf(links, "nkca"), ["nkca0", "nkca1", "nkca2", "nkca3"]);
        assert.deepEqual(netkitOf(links, "nkcb"), ["nkcb0", "nkcb1", "nkcb2", "nkcb3"]);
        assert.equal((await linkNames(host, ns)).filter((l) => /^p[ab]\d$/.test(l)).length, 8, "8 peers in the pod netns");
        // Each stack sees only its own devices: both preview clean.
        await Promise.all([ts.stack.preview({ expectNoChanges: true }), yaml.pulumi("preview", "--expect-no-changes")]);
        await Promise.all([ts.stack.destroy(), yaml.pulumi("destroy", "--yes")]);
        const left = await linkNames(host);
        assert.deepEqual([...netkitOf(left, "nkca"), ...netkitOf(left, "nkcb")], []);
      } finally {
        await ts.stack.destroy().catch(() => undefined);
        await yaml.pulumi("destroy", "--yes").catch(() => undefined);
        ts.cleanup();
        yaml.cleanup();
      }
    });
  });

  describe("8 hosts in one stack", function () {
    const sets: TestHostSet[] = [];
    const hosts: TestHost[] = [];
    before(async function () {
      // Booted 4 at a time: 8 emulated VMs starting at once on 2 cores miss sshd's banner
      // timeouts. The stack then works on all 8 at once.
      const t0 = Date.now();
      for (const batch of ["conc-a", "conc-b"]) {
        const set = await startTestHosts(4, { name: batch, memoryMiB: 384 });
        sets.push(set);
        hosts.push(...set.hosts);
      }
      console.log(`      [test hosts] 8 VMs SSH-ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
    after(async function () {
      await Promise.all(sets.map((s) => s.stop()));
    });

    it("one up creates 2 pairs on each of 8 hosts in parallel; destroy removes them all", async function () {
      const t = await inlineStack("conc-8hosts", async () => {
        hosts.forEach((h, i) => {
          for (const j of [0, 1]) new NetkitPair(`h${i}p${j}`, { connection: connectionTo(h), name: `nk8h${j}`, peerName: `nk8p${j}` });
        });
      });
      try {
        const started = Date.now();
        const r = await t.stack.up();
        console.log(`      [8 hosts] up of 16 pairs in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        assert.equal(r.summary.resourceChanges?.create, 17);
        for (const h of hosts) assert.deepEqual(netkitOf(await linkNames(h), "nk8"), ["nk8h0", "nk8h1", "nk8p0", "nk8p1"], `host ${h.port}`);
        await t.stack.destroy();
        for (const h of hosts) assert.deepEqual(netkitOf(await linkNames(h), "nk8"), [], `host ${h.port} after destroy`);
      } finally {
        await t.stack.destroy().catch(() => undefined);
        t.cleanup();
      }
    });
  });
});
