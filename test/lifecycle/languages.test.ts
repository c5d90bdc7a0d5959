// Python and Go, as users work: examples/python-pod-queues and examples/go-pod-queues copied
// outside the repo, the generated SDK installed (pip into the project's virtualenv; go mod with a
// replace to sdk/go), the provider plugin installed from its archive with `pulumi plugin
// install` (no plugins.providers path), and `pulumi` typed in the project directory through the
// test language hosts beside the CLI. Each walks a pair, a single device and a lease on a
// netdevsim NIC through preview → up → no-change preview and refresh → an in-place update → a
// replacement → drift found by refresh and undone by up → destroy, checking the host each time.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestHost } from "../../testhost";
import { GO_MODULE } from "../../provider/definition/schema";
import { linkNames, sysfs } from "../support/netkit";
import { addNetdevsim, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { onHost, sharedHost } from "../support/shared-host";
import { goProject, pluginArchive, pythonProject, yamlProjectWithInstalledPlugin, type UserProject } from "../support/user-project";
import { repoRoot } from "../../harness/pulumi";

interface Outputs {
  podIfindex: number;
  peerIfindex: number;
  xskIfindex: number;
  queueId: number;
}

const outputsOf = async (p: UserProject) => JSON.parse(await p.pulumi("stack", "output", "--json")) as Outputs;

/** Nothing of the private key may be left in what the state holds at rest. */
async function assertNoPlaintextKey(p: UserProject, host: TestHost): Promise<void> {
  const state = await p.pulumi("stack", "export");
  for (const line of host.privateKey.split("\n").filter((l) => l.length > 20)) assert.ok(!state.includes(line), "no line of the private key in the state");
}

const LANGUAGES = [
  { name: "Python", example: "python-pod-queues", make: pythonProject, ns: "nkl-py", nsim: 7421, nic: "nkl-nic0" },
  { name: "Go", example: "go-pod-queues", make: (e: string) => goProject(e, GO_MODULE), ns: "nkl-go", nsim: 7422, nic: "nkl-nic1" },
];

describe("lifecycle: the provider plugin's archive, as `pulumi plugin install` takes it", function () {
  it("holds the executable the engine runs by name, the plugin's JavaScript and @pulumi/pulumi at the tested release; no native code, no PulumiPlugin.yaml", async function () {
    const started = Date.now();
    const archive = await pluginArchive();
    console.log(`      [plugin archive] ${archive.split("/").pop()} made in ${((Date.now() - started) / 1000).toFixed(1)} s (with npm pack)`);
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string; devDependencies: Record<string, string> };
    assert.match(archive, new RegExp(`/pulumi-resource-netkit-v${pkg.version}-linux-(amd64|arm64)\\.tar\\.gz$`));
    const listing = execFileSync("tar", ["-tvzf", archive], { maxBuffer: 64 << 20 }).toString();
    assert.match(listing, /^-rwx.* pulumi-resource-netkit$/m, "the launcher is at the top and executable");
    for (const f of [
      "dist/provider/plugin/main.js",
      "dist/provider/host/relay.py",
      "package.json",
      "node_modules/@pulumi/pulumi/package.json",
      "node_modules/ssh2/package.json",
      "node_modules/zod/package.json",
    ])
      assert.match(listing, new RegExp(` ${f.replace(/[./]/g, "\\$&")}$`, "m"), f);
    assert.doesNotMatch(listing, /\.node$/m, "no native addon: the same files serve amd64 and arm64");
    assert.doesNotMatch(listing, / PulumiPlugin\.yaml$/m, "the engine runs the launcher; no language host is asked to");
    const sdk = JSON.parse(execFileSync("tar", ["-xzOf", archive, "node_modules/@pulumi/pulumi/package.json"]).toString()) as { version: string };
    assert.equal(sdk.version, pkg.devDependencies["@pulumi/pulumi"]);
  });
});

describe("lifecycle: Pulumi YAML with the installed plugin (examples/yaml-queue-lease without its plugins block)", function () {
  let host: TestHost;
  let p: UserProject;
  before(async function () {
    host = await sharedHost();
    p = await yamlProjectWithInstalledPlugin("yaml-queue-lease");
  });
  after(() => p?.cleanup());

  it("previews through the plugin in the plugin cache, naming no path, and touches nothing", async function () {
    const ns = "nkl-yaml";
    await p.pulumi("stack", "init", "dev");
    for (const [k, v] of Object.entries({ "netkit:host": host.host, "netkit:port": String(host.port), "netkit:hostKey": host.knownHostsLine, netns: ns, nic: "nkl-none" }))
      await p.pulumi("config", "set", k, "--", v);
    await p.pulumi("config", "set", "--secret", "netkit:privateKey", "--", host.privateKey);
    // previewChecks off: the NIC and netns it names need not exist for the plugin to plan.
    await p.pulumi("config", "set", "netkit:previewChecks", "false");
    const before = await linkNames(host);
    const out = await p.pulumi("preview");
    assert.match(out, /\+ 2 to create/);
    assert.match(out, /netkit:index:NetkitSingle/);
    assert.doesNotMatch(out, /warning/i);
    assert.deepEqual(await linkNames(host), before);
  });
});

for (const lang of LANGUAGES) {
  describe(`lifecycle: a ${lang.name} project (examples/${lang.example}) with the generated SDK and the installed plugin`, function () {
    let host: TestHost;
    let p: UserProject;
    let before: string[][];
    const hostLinks = async () => [await linkNames(host), await linkNames(host, lang.ns)];

    this.beforeAll(async function () {
      host = await sharedHost();
      await addNetdevsim(host, lang.nsim, 4, lang.nic);
      await onHost(host, ["ip", "netns", "add", lang.ns]);
      before = await hostLinks();
      const started = Date.now();
      p = await lang.make(lang.example);
      console.log(`      [${lang.name} project] SDK and plugin installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await p.pulumi("stack", "init", "dev");
      for (const [k, v] of Object.entries({
        "netkit:host": host.host,
        "netkit:port": String(host.port),
        "netkit:hostKey": host.knownHostsLine,
        netns: lang.ns,
        nic: lang.nic,
        nicQueue: "3",
      }))
        await p.pulumi("config", "set", k, "--", v);
      await p.pulumi("config", "set", "--secret", "netkit:privateKey", "--", host.privateKey);
    });
    let destroyed = false;
    this.afterAll(async function () {
      // What a failed test left behind; nothing after a destroy that passed.
      if (!destroyed) await p?.pulumi("destroy", "--yes").catch(() => undefined);
      p?.cleanup();
      await onHost(host, ["ip", "netns", "del", lang.ns]);
      await removeNetdevsim(host, lang.nsim);
    });

    it("the project names no plugin path: the engine finds the plugin pulumi plugin install put in its plugin cache", async function () {
      assert.doesNotMatch(readFileSync(join(p.dir, "Pulumi.yaml"), "utf8"), /plugins:/);
      const plugins = await p.pulumi("plugin", "ls");
      assert.match(plugins, /^netkit\s+resource\s+0\.1\.0\b/m);
    });

    it("preview shows the pair, the single device and the lease to create, and touches nothing", async function () {
      const out = await p.pulumi("preview");
      assert.match(out, /\+ 4 to create/);
      for (const t of ["NetkitPair", "NetkitSingle", "RxqBinding"]) assert.match(out, new RegExp(`netkit:index:${t}`));
      // The language host and the plugin come from beside the CLI and the plugin cache, as in an official install.
      assert.doesNotMatch(out, /warning/i);
      assert.deepEqual(await hostLinks(), before);
    });

    it("up creates them as declared; a second preview has no changes; refresh finds no drift; no key in the state", async function () {
      assert.match(await p.pulumi("up", "--yes"), /\+ 4 created/);
      const o = await outputsOf(p);
      assert.equal((await sysfs(host, "nk-pod"))?.ifindex, String(o.podIfindex));
      assert.equal((await sysfs(host, "eth0", lang.ns))?.ifindex, String(o.peerIfindex));
      assert.equal((await sysfs(host, "nk-xsk", lang.ns))?.ifindex, String(o.xskIfindex));
      assert.equal(o.queueId, 1);
      assert.equal(await rxQueueCount(host, "nk-xsk", lang.ns), 2, "queue 0 + the lease");
      await p.pulumi("preview", "--expect-no-changes");
      await p.pulumi("refresh", "--yes", "--expect-no-changes");
      await assertNoPlaintextKey(p, host);
    });

    it("an MTU change is an in-place update: preview shows it, up does exactly that", async function () {
      const ifindex = (await sysfs(host, "nk-pod"))?.ifindex;
      await p.pulumi("config", "set", "mtu", "9000");
      const preview = await p.pulumi("preview", "--diff");
      assert.match(preview, /~ 1 to update/);
      assert.match(preview, /mtu\s*:\s*1500 => 9000/);
      assert.match(await p.pulumi("up", "--yes"), /~ 1 updated/);
      assert.deepEqual([(await sysfs(host, "nk-pod"))?.mtu, (await sysfs(host, "nk-pod"))?.ifindex], ["9000", ifindex], "same device, new MTU");
      assert.equal((await sysfs(host, "eth0", lang.ns))?.mtu, "9000");
      await p.pulumi("preview", "--expect-no-changes");
    });

    it("a mode change replaces the pair (fixed at creation) and nothing else", async function () {
      const old = await outputsOf(p);
      await p.pulumi("config", "set", "mode", "l2");
      const preview = await p.pulumi("preview", "--diff");
      assert.match(preview, /\+-1 to replace/);
      assert.match(preview, /mode\s*:\s*"l3" => "l2"/);
      assert.match(await p.pulumi("up", "--yes"), /\+-1 replaced/);
      const o = await outputsOf(p);
      assert.notEqual(o.podIfindex, old.podIfindex, "a new pair");
      assert.equal((await sysfs(host, "nk-pod"))?.ifindex, String(o.podIfindex));
      assert.equal(o.xskIfindex, old.xskIfindex, "the single device is untouched");
      assert.equal(await rxQueueCount(host, "nk-xsk", lang.ns), 2, "and keeps its lease");
      await p.pulumi("preview", "--expect-no-changes");
    });

    it("drift: an MTU changed on the host is found by refresh, and up puts it back", async function () {
      await onHost(host, ["ip", "link", "set", "nk-pod", "mtu", "1400"]);
      const refresh = await p.pulumi("refresh", "--yes", "--diff");
      assert.match(refresh, /mtu\s*:\s*9000 => 1400/);
      const preview = await p.pulumi("preview", "--diff");
      assert.match(preview, /mtu\s*:\s*1400 => 9000/);
      assert.match(await p.pulumi("up", "--yes"), /~ 1 updated/);
      assert.equal((await sysfs(host, "nk-pod"))?.mtu, "9000");
      await p.pulumi("refresh", "--yes", "--expect-no-changes");
    });

    it("destroy leaves the host as it was", async function () {
      assert.match(await p.pulumi("destroy", "--yes"), /- 4 deleted/);
      destroyed = true;
      assert.deepEqual(await hostLinks(), before);
    });
  });
}
