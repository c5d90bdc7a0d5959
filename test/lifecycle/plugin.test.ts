// The real provider plugin (bin/pulumi-resource-netkit, @pulumi/pulumi/provider) with the real
// engine on the test-host VM: the same controllers as the dynamic provider, reached by type
// token; the connection from provider config; `pulumi import` of a pair made by hand.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { inlineStack, exportedState, pulumiCommand, repoRoot, stateAtRest, type TestStack } from "../../harness/pulumi";
import { configureProvider, netkitIp, pluginResource } from "../support/plugin";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import type { TestHost } from "../../testhost";

describe("lifecycle: the provider plugin (pulumi-resource-netkit)", function () {
  let host: TestHost;
  const ns = "nkp-pod";

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
  });
  after(async function () {
    await onHost(host, ["ip", "netns", "del", ns]);
  });

  it("serves schema.json: `pulumi package get-schema` of the plugin equals the committed file, key for key", async function () {
    // Pulumi parses the schema and drops what it does not know: a misspelled key (say,
    // replaceOnChange for replaceOnChanges) would make the two differ.
    const home = mkdtempSync(join(tmpdir(), "netkit-schema-"));
    try {
      const served = execFileSync((await pulumiCommand()).command, ["package", "get-schema", join(repoRoot, "bin", "pulumi-resource-netkit")], {
        env: { ...process.env, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" },
      }).toString();
      assert.ok(isDeepStrictEqual(JSON.parse(served), JSON.parse(readFileSync(join(repoRoot, "schema.json"), "utf8"))), "served schema differs from schema.json");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  describe("a pair with the configured connection", function () {
    let t: TestStack;
    const cfg = { mtu: 1500, mode: "l3" };
    before(async function () {
      t = await inlineStack("plugin-pair", async () => {
        const p = pluginResource("NetkitPair", "pair", { name: "nkp0", peerName: "eth0", peerNetns: ns, mtu: cfg.mtu, mode: cfg.mode });
        return { ifindex: p.ifindex };
      });
      await configureProvider(t.stack, host);
    });
    after(async function () {
      await t?.stack.destroy().catch(() => undefined);
      t?.cleanup();
    });

    it("preview plans the create through the plugin and touches nothing", async function () {
      const before = await linkNames(host);
      const p = await t.stack.preview({ diff: true });
      assert.equal(p.changeSummary.create, 2, JSON.stringify(p.changeSummary)); // stack + pair
      assert.match(p.stdout, /netkit:index:NetkitPair/);
      assert.deepEqual(await linkNames(host), before);
    });

    it("up creates it; a second preview shows no changes; the private key is nowhere in plaintext", async function () {
      const r = await t.stack.up();
      assert.equal(r.summary.result, "succeeded");
      assert.equal((await sysfs(host, "nkp0"))?.ifindex, String(r.outputs.ifindex!.value));
      assert.ok(await sysfs(host, "eth0", ns), "the peer is in the pod netns");
      assert.equal((await t.stack.preview({ expectNoChanges: true })).changeSummary.same, 2);
      const key = host.privateKey.split("\n")[1]!;
      assert.ok(!stateAtRest(t).includes(key) && !(await exportedState(t)).includes(key));
    });

    it("an MTU change is an in-place update; a mode change replaces", async function () {
      const ifindex = (await sysfs(host, "nkp0"))?.ifindex;
      cfg.mtu = 9000;
      const u = await t.stack.preview({ diff: true });
      assert.deepEqual([u.changeSummary.update, u.changeSummary.replace], [1, undefined], JSON.stringify(u.changeSummary));
      await t.stack.up();
      assert.deepEqual([(await sysfs(host, "nkp0"))?.mtu, (await sysfs(host, "nkp0"))?.ifindex], ["9000", ifindex]);
      cfg.mode = "l2";
      const rp = await t.stack.preview({ diff: true });
      assert.equal(rp.changeSummary.replace, 1, JSON.stringify(rp.changeSummary));
      await t.stack.up();
      assert.notEqual((await sysfs(host, "nkp0"))?.ifindex, ifindex, "a new device");
    });

    it("refresh records an out-of-band change; destroy removes the pair", async function () {
      await onHost(host, ["ip", "link", "set", "nkp0", "mtu", "1400"]);
      await t.stack.refresh();
      const p = await t.stack.preview({ diff: true });
      assert.match(p.stdout, /mtu\s*:\s*1400 => 9000/);
      await t.stack.destroy();
      assert.equal(await sysfs(host, "nkp0"), undefined);
      assert.ok(!(await linkNames(host, ns)).includes("eth0"));
    });
  });

  describe("a resource with its own connection", function () {
    let t: TestStack;
    after(async function () {
      await t?.stack.destroy().catch(() => undefined);
      t?.cleanup();
    });
    it("keeps the connection secret in state (the plugin re-wraps it)", async function () {
      t = await inlineStack("plugin-own-conn", async () => {
        pluginResource("NetkitSingle", "single", { connection: connectionTo(host), name: "nkp-s0", netns: ns });
      });
      await t.stack.up();
      assert.ok(await sysfs(host, "nkp-s0", ns));
      const state = await exportedState(t);
      assert.ok(!state.includes(host.privateKey.split("\n")[1]!), "no plaintext key");
      assert.match(state, /"connection":\s*\{\s*"4dabf18193072939515e22adb298388d"/, "the connection is a secret");
      await t.stack.destroy();
      assert.equal(await sysfs(host, "nkp-s0", ns), undefined);
    });
  });

  describe("import of a pair made by hand", function () {
    let t: TestStack;
    after(async function () {
      await t?.stack.destroy().catch(() => undefined);
      t?.cleanup();
      await onHost(host, ["ip", "link", "del", "nkimp0"]);
    });

    it("the import option adopts it by HOST:PORT/NAME; a preview then shows no changes; destroy removes it", async function () {
      const made = await onHost(host, [
        await netkitIp(host),
        "link",
        "add",
        "nkimp0",
        "mtu",
        "1450",
        "type",
        "netkit",
        "mode",
        "l2",
        "blackhole",
        "peer",
        "name",
        "imp1",
        "netns",
        ns,
      ]);
      assert.equal(made.exitCode, 0, made.stderr.toString());
      await onHost(host, ["ip", "link", "set", "nkimp0", "up"]);
      await onHost(host, ["ip", "-n", ns, "link", "set", "imp1", "up"]);
      const ifindex = (await sysfs(host, "nkimp0"))?.ifindex;
      const id = `${host.host}:${host.port}/nkimp0`;
      // The program declares what the operator made; the engine reads the device through the
      // plugin and refuses the import if the two differ.
      t = await inlineStack("plugin-import", async () => {
        pluginResource("NetkitPair", "imported", { name: "nkimp0", peerName: "imp1", peerNetns: ns, mode: "l2", policy: "blackhole" }, { import: id });
      });
      await configureProvider(t.stack, host);
      const r = await t.stack.up();
      assert.equal(r.summary.resourceChanges?.import, 1, JSON.stringify(r.summary.resourceChanges));
      assert.equal((await sysfs(host, "nkimp0"))?.ifindex, ifindex, "adopted, not re-created");
      const p = await t.stack.preview({ expectNoChanges: true, diff: true });
      assert.equal(p.changeSummary.same, 2, `${JSON.stringify(p.changeSummary)}\n${p.stdout}`);
      const exported = (await t.stack.exportStack()).deployment as { resources: Array<{ type: string; id?: string; outputs?: Record<string, unknown> }> };
      const pair = exported.resources.find((x) => x.type === "netkit:index:NetkitPair")!;
      assert.equal(pair.id, id);
      assert.deepEqual(
        [pair.outputs?.peerName, pair.outputs?.peerNetns, pair.outputs?.mtu, pair.outputs?.mode, pair.outputs?.up, pair.outputs?.policy],
        ["imp1", ns, 1450, "l2", true, "blackhole"],
      );
      await t.stack.destroy();
      assert.equal(await sysfs(host, "nkimp0"), undefined, "destroy deletes the adopted pair");
    });
  });
});
