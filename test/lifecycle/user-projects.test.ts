// The user's path, end to end: `npm pack` of a clean copy, each example copied outside the
// repo and `npm install`ed from the tarball, then `pulumi stack init`, `config set` (secrets
// with --secret), `preview`, `up`, `refresh`, `destroy` typed in the project's directory, with
// the CLI install on PATH (its nodejs language host and plugins beside it) and nothing of this
// repo. TypeScript examples run on the dynamic provider, the YAML one on the provider plugin
// from node_modules. @pulumi/pulumi is a peer dependency: one copy in the user's tree, at the
// oldest and the newest version the package claims.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packedTarball, tarballFiles, userProject, type UserProject } from "../support/user-project";
import { onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import { addNetdevsim, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { repoRoot } from "../../harness/pulumi";
import type { TestHost } from "../../testhost";
import { bpffsEntries, loadProgram, NETKIT_PASS } from "../support/bpf";
import { linkDir } from "../../provider/host/programs";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { peerDependencies: Record<string, string> };
/** The oldest @pulumi/pulumi the package claims (the lower bound of its peer range). */
const OLDEST_SDK = /^>=(\d+\.\d+\.\d+)/.exec(pkg.peerDependencies["@pulumi/pulumi"]!)![1]!;

/** Connection config of the TypeScript examples (project config, see examples/*\/index.ts). */
const PROGRAM_PIN = "/sys/fs/bpf/nku-policy";

async function configureExample(p: UserProject, host: TestHost, extra: Record<string, string> = {}): Promise<void> {
  await p.pulumi("stack", "init", "dev");
  for (const [k, v] of Object.entries({ host: host.host, port: String(host.port), hostKey: host.knownHostsLine, ...extra })) await p.pulumi("config", "set", k, "--", v);
  await p.pulumi("config", "set", "--secret", "privateKey", "--", host.privateKey);
}

/** The copies of @pulumi/pulumi in a project's node_modules, by version. */
async function sdkCopies(p: UserProject): Promise<string[]> {
  const found = execFileSync("find", [join(p.dir, "node_modules"), "-path", "*/@pulumi/pulumi/package.json"])
    .toString()
    .trim()
    .split("\n");
  return found.map((f) => (JSON.parse(readFileSync(f, "utf8")) as { version: string }).version);
}

/** Nothing of the private key may be left in what the state holds at rest. */
async function assertNoPlaintextKey(p: UserProject, host: TestHost): Promise<void> {
  const state = await p.pulumi("stack", "export");
  for (const line of host.privateKey.split("\n").filter((l) => l.length > 20)) assert.ok(!state.includes(line), "no line of the private key in the state");
}

describe("lifecycle: the package as users install it, pulumi typed in their project directory", function () {
  let host: TestHost;

  before(async function () {
    host = await sharedHost();
  });

  it("npm pack of a clean checkout builds itself and ships the SDK, the provider with types, relay.py, schema.json, the plugin launchers and README", async function () {
    const tgz = await packedTarball();
    const files = tarballFiles(tgz);
    for (const f of [
      "package/package.json",
      "package/README.md",
      "package/LICENSE",
      "package/docs/reference/NetkitPair.md",
      "package/schema.json",
      "package/bin/pulumi-resource-netkit",
      "package/bin/pulumi-resource-pulumi-nodejs",
      "package/dist/sdk/index.js",
      "package/dist/sdk/index.d.ts",
      "package/dist/provider/index.js",
      "package/dist/provider/index.d.ts",
      "package/dist/provider/plugin/main.js",
      "package/dist/provider/host/relay.py",
    ])
      assert.ok(files.includes(f), `${f} is in the package (${files.length} files)`);
    const strays = files.filter(
      (f) =>
        /^package\/(test|testhost|scripts|bench|examples)\//.test(f) ||
        (f.startsWith("package/docs/") && !f.startsWith("package/docs/reference/")) ||
        f.endsWith(".map") ||
        (f.endsWith(".ts") && !f.endsWith(".d.ts")),
    );
    assert.deepEqual(strays, [], "no tests, test toolchain, source maps or sources");
    const modes = execFileSync("tar", ["-tvzf", tgz]).toString();
    for (const b of ["pulumi-resource-netkit", "pulumi-resource-pulumi-nodejs"]) assert.match(modes, new RegExp(`^-rwx.* package/bin/${b}$`, "m"), `${b} is executable`);
    const manifest = JSON.parse(execFileSync("tar", ["-xzOf", tgz, "package/package.json"]).toString()) as {
      bin: Record<string, string>;
      peerDependencies: Record<string, string>;
      dependencies: Record<string, string>;
    };
    assert.deepEqual(Object.keys(manifest.bin).sort(), ["pulumi-resource-netkit", "pulumi-resource-pulumi-nodejs"]);
    assert.equal(manifest.dependencies["@pulumi/pulumi"], undefined, "the SDK is the user's: a peer dependency, not a copy of our own");
    assert.match(manifest.peerDependencies["@pulumi/pulumi"] ?? "", /^>=3\.\d+\.\d+ <4/);
  });

  describe("examples/pair-into-netns (TypeScript) with the newest @pulumi/pulumi", function () {
    const ns = "nku-pair";
    let p: UserProject;
    let before: string[];
    this.beforeAll(async function () {
      await onHost(host, ["ip", "netns", "add", ns]);
      before = await linkNames(host);
      p = await userProject("pair-into-netns");
      // The example's optional program: a tc program as a loader would have pinned it.
      await loadProgram(host, PROGRAM_PIN, NETKIT_PASS, "nku_policy");
      await configureExample(p, host, { netns: ns, programPin: PROGRAM_PIN });
    });
    this.afterAll(async function () {
      await p?.pulumi("destroy", "--yes").catch(() => undefined);
      p?.cleanup();
      await onHost(host, ["ip", "netns", "del", ns]);
      await onHost(host, ["rm", "-f", PROGRAM_PIN]);
    });

    it("one copy of @pulumi/pulumi in the project, the user's own", async function () {
      const copies = await sdkCopies(p);
      assert.equal(copies.length, 1, `copies: ${copies.join(", ")}`);
      console.log(`      [user project] @pulumi/pulumi ${copies[0]}, pulumi-netkit from ${await p.nodeEval("require.resolve('pulumi-netkit')")}`);
    });

    it("preview shows the pair to create and touches nothing", async function () {
      const out = await p.pulumi("preview");
      assert.match(out, /\+ 2 to create/);
      assert.match(out, /netkit:NetkitPair\s+pod1\s+create/);
      // The language host and the dynamic-provider launcher come from beside the CLI, as in an official install.
      assert.doesNotMatch(out, /warning/i);
      assert.deepEqual(await linkNames(host), before);
    });

    it("up creates it; a second preview has no changes; refresh finds no drift", async function () {
      const out = await p.pulumi("up", "--yes");
      assert.match(out, /\+ 2 created/);
      const outputs = JSON.parse(await p.pulumi("stack", "output", "--json")) as { ifindex: number; peerIfindex: number; programIds: number[] };
      assert.equal((await sysfs(host, "nk-pod1"))?.ifindex, String(outputs.ifindex));
      assert.equal(outputs.programIds.length, 1, "the example's program is attached");
      assert.deepEqual(await bpffsEntries(host, linkDir(outputs.ifindex)), ["primary-0"]);
      assert.equal((await sysfs(host, "eth0", ns))?.ifindex, String(outputs.peerIfindex));
      await p.pulumi("preview", "--expect-no-changes");
      await p.pulumi("refresh", "--yes", "--expect-no-changes");
      await assertNoPlaintextKey(p, host);
    });

    it("destroy leaves the host as it was", async function () {
      assert.match(await p.pulumi("destroy", "--yes"), /- 2 deleted/);
      assert.deepEqual(await linkNames(host), before);
      assert.deepEqual(await bpffsEntries(host, "/sys/fs/bpf/pulumi-netkit"), [], "a link pin is left");
    });
  });

  describe(`examples/pair-into-netns (TypeScript) with the oldest claimed @pulumi/pulumi`, function () {
    const ns = "nku-old";
    let p: UserProject;
    this.beforeAll(async function () {
      await onHost(host, ["ip", "netns", "add", ns]);
      p = await userProject("pair-into-netns", [`@pulumi/pulumi@${OLDEST_SDK}`]);
      await configureExample(p, host, { netns: ns });
    });
    this.afterAll(async function () {
      await p?.pulumi("destroy", "--yes").catch(() => undefined);
      p?.cleanup();
      await onHost(host, ["ip", "netns", "del", ns]);
    });

    it(`runs on @pulumi/pulumi ${OLDEST_SDK}, one copy: preview → up → no-change preview → refresh → destroy`, async function () {
      assert.deepEqual(await sdkCopies(p), [OLDEST_SDK]);
      const before = await linkNames(host);
      assert.match(await p.pulumi("preview"), /\+ 2 to create/);
      await p.pulumi("up", "--yes");
      assert.ok(await sysfs(host, "eth0", ns), "the peer is in the netns");
      await p.pulumi("preview", "--expect-no-changes");
      await p.pulumi("refresh", "--yes", "--expect-no-changes");
      await p.pulumi("destroy", "--yes");
      assert.deepEqual(await linkNames(host), before);
    });
  });

  describe("examples/single-device (TypeScript)", function () {
    const ns = "nku-single";
    let p: UserProject;
    this.beforeAll(async function () {
      await onHost(host, ["ip", "netns", "add", ns]);
      p = await userProject("single-device");
      await configureExample(p, host, { netns: ns });
    });
    this.afterAll(async function () {
      await p?.pulumi("destroy", "--yes").catch(() => undefined);
      p?.cleanup();
      await onHost(host, ["ip", "netns", "del", ns]);
    });

    it("preview → up → no-change preview → refresh → destroy", async function () {
      const before = await linkNames(host, ns);
      assert.match(await p.pulumi("preview"), /\+ 2 to create/);
      assert.deepEqual(await linkNames(host, ns), before, "preview touches nothing");
      await p.pulumi("up", "--yes");
      const outputs = JSON.parse(await p.pulumi("stack", "output", "--json")) as { ifindex: number; numRxQueues: number };
      assert.equal((await sysfs(host, "nk-xsk0", ns))?.ifindex, String(outputs.ifindex));
      assert.equal(outputs.numRxQueues, 3);
      await p.pulumi("preview", "--expect-no-changes");
      await p.pulumi("refresh", "--yes", "--expect-no-changes");
      await p.pulumi("destroy", "--yes");
      assert.deepEqual(await linkNames(host, ns), before);
    });
  });

  describe("examples/af-xdp-queues (TypeScript) on a netdevsim NIC", function () {
    const ns = "nku-xdp";
    const NSIM = 7411;
    let p: UserProject;
    this.beforeAll(async function () {
      await addNetdevsim(host, NSIM, 4, "nku-nic0");
      await onHost(host, ["ip", "netns", "add", ns]);
      p = await userProject("af-xdp-queues");
      await configureExample(p, host, { netns: ns, nic: "nku-nic0", queues: "2,3" });
    });
    this.afterAll(async function () {
      await p?.pulumi("destroy", "--yes").catch(() => undefined);
      p?.cleanup();
      await onHost(host, ["ip", "netns", "del", ns]);
      await removeNetdevsim(host, NSIM);
    });

    it("preview → up (two leases) → no-change preview → refresh → destroy", async function () {
      const before = [await linkNames(host), await linkNames(host, ns)];
      assert.match(await p.pulumi("preview"), /\+ 3 to create/);
      await p.pulumi("up", "--yes");
      const outputs = JSON.parse(await p.pulumi("stack", "output", "--json")) as { xskQueues: number[] };
      assert.deepEqual(outputs.xskQueues, [1, 2]);
      assert.equal(await rxQueueCount(host, "nk-xsk", ns), 3, "queue 0 + two leases");
      await p.pulumi("preview", "--expect-no-changes");
      await p.pulumi("refresh", "--yes", "--expect-no-changes");
      await p.pulumi("destroy", "--yes");
      assert.deepEqual([await linkNames(host), await linkNames(host, ns)], before);
    });
  });

  describe("examples/yaml-queue-lease (Pulumi YAML, the provider plugin from node_modules) on a netdevsim NIC", function () {
    const ns = "nku-yaml";
    const NSIM = 7412;
    let p: UserProject;
    this.beforeAll(async function () {
      await addNetdevsim(host, NSIM, 4, "nku-nic1");
      await onHost(host, ["ip", "netns", "add", ns]);
      p = await userProject("yaml-queue-lease");
      await p.pulumi("stack", "init", "dev");
      for (const [k, v] of Object.entries({
        "netkit:host": host.host,
        "netkit:port": String(host.port),
        "netkit:hostKey": host.knownHostsLine,
        netns: ns,
        nic: "nku-nic1",
        nicQueue: "3",
      }))
        await p.pulumi("config", "set", k, "--", v);
      await p.pulumi("config", "set", "--secret", "netkit:privateKey", "--", host.privateKey);
    });
    this.afterAll(async function () {
      await p?.pulumi("destroy", "--yes").catch(() => undefined);
      p?.cleanup();
      await onHost(host, ["ip", "netns", "del", ns]);
      await removeNetdevsim(host, NSIM);
    });

    it("preview → up (a lease) → no-change preview → refresh → change the lease (a replacement) → destroy, nothing left", async function () {
      const before = [await linkNames(host), await linkNames(host, ns)];
      assert.match(await p.pulumi("preview"), /\+ 2 to create/);
      assert.deepEqual([await linkNames(host), await linkNames(host, ns)], before, "preview touches nothing");
      await p.pulumi("up", "--yes");
      const outputs = JSON.parse(await p.pulumi("stack", "output", "--json")) as { xskIfindex: number; queueIds: number[] };
      assert.deepEqual(outputs.queueIds, [1]);
      assert.equal((await sysfs(host, "nk-xsk", ns))?.ifindex, String(outputs.xskIfindex));
      assert.equal(await rxQueueCount(host, "nk-xsk", ns), 2, "queue 0 + the lease");
      await p.pulumi("preview", "--expect-no-changes");
      await p.pulumi("refresh", "--yes", "--expect-no-changes");
      await assertNoPlaintextKey(p, host);
      // Another NIC queue: the device is replaced (the kernel cannot release one lease), and
      // the preview says so before up does exactly that.
      await p.pulumi("config", "set", "nicQueue", "2");
      const preview = await p.pulumi("preview", "--diff");
      assert.match(preview, /1 to replace/);
      assert.match(preview, /queue\s*:\s*3 => 2/);
      const up = await p.pulumi("up", "--yes");
      assert.match(up, /1 replaced/);
      const changed = JSON.parse(await p.pulumi("stack", "output", "--json")) as { xskIfindex: number; queueIds: number[] };
      assert.notEqual(changed.xskIfindex, outputs.xskIfindex, "a new device");
      assert.deepEqual(changed.queueIds, [1]);
      assert.equal(await rxQueueCount(host, "nk-xsk", ns), 2, "the new lease only: the old one ended with the old device");
      await p.pulumi("preview", "--expect-no-changes");
      // A forced replacement (how leases end without a change): the example's
      // deleteBeforeReplace makes the engine delete the old device before it creates the new one.
      const forced = await p.pulumi("up", "--yes", "--replace", "urn:pulumi:dev::netkit-yaml-queue-lease::netkit:index:NetkitSingle::xsk");
      assert.match(forced, /1 replaced/);
      const replaced = JSON.parse(await p.pulumi("stack", "output", "--json")) as { xskIfindex: number; queueIds: number[] };
      assert.notEqual(replaced.xskIfindex, changed.xskIfindex, "a new device");
      assert.equal(await rxQueueCount(host, "nk-xsk", ns), 2, "its lease made again");
      await p.pulumi("destroy", "--yes");
      assert.deepEqual([await linkNames(host), await linkNames(host, ns)], before);
    });

    it("an RxqBinding written the obvious way (no deletedWith) goes up and destroys cleanly too", async function () {
      const file = join(p.dir, "Pulumi.yaml");
      const yaml = readFileSync(file, "utf8");
      const binding = [
        "      numRxQueues: 3",
        "  rxq:",
        "    type: netkit:index:RxqBinding",
        "    properties:",
        "      deviceName: ${xsk.name}",
        "      netns: ${xsk.netns}",
        "      nic: ${nic}",
        "      nicQueue: 0",
        "outputs:",
        "  bindingQueue: ${rxq.queueId}",
      ].join("\n");
      writeFileSync(file, yaml.replace(/^outputs:$/m, binding));
      const before = [await linkNames(host), await linkNames(host, ns)];
      assert.match(await p.pulumi("preview"), /\+ 3 to create/);
      await p.pulumi("up", "--yes");
      const outputs = JSON.parse(await p.pulumi("stack", "output", "--json")) as { queueIds: number[]; bindingQueue: number };
      assert.deepEqual([outputs.queueIds, outputs.bindingQueue], [[1], 2]);
      await p.pulumi("preview", "--expect-no-changes");
      assert.match(await p.pulumi("destroy", "--yes"), /- 3 deleted/);
      assert.deepEqual([await linkNames(host), await linkNames(host, ns)], before);
    });
  });
});
