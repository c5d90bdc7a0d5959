// The provider plugin as other languages take it: its archive (what `pulumi plugin install`
// installs), and a Pulumi YAML project that names no plugin path finding it in the plugin
// cache. Python and Go with the generated SDKs walk examples/python-pod-queues and
// examples/go-pod-queues in the docs tier, as their READMEs print them, with this walk's
// assertions hung on their blocks (test/docs/checks.ts): preview → up → no-change preview and
// refresh → an in-place update → a replacement → drift found by refresh and undone by up →
// destroy, checking the host each time.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestHost } from "../../testhost";
import { linkNames } from "../support/netkit";
import { sharedHost } from "../support/shared-host";
import { pluginArchive, yamlProjectWithInstalledPlugin, type UserProject } from "../support/user-project";
import { repoRoot } from "../../harness/pulumi";

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
