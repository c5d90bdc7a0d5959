// The package as users get it: `npm pack` of a clean copy and what the tarball ships; an
// example installed outside the repo with the oldest @pulumi/pulumi the package claims (a
// peer dependency: one copy in the user's tree), driven with `pulumi` typed in its directory;
// and the SDK's types under `tsc --noEmit` in a user project, with Pulumi's TypeScript
// template tsconfig (its current nodenext one and its earlier commonjs/node one) and
// TypeScript 5.0, 5.9, 6 and 7. The examples themselves, with the newest @pulumi/pulumi, are
// run by their READMEs in the docs tier (test/docs/), which also checks that path.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packedTarball, tarballFiles, userEnv, userProject, type UserProject } from "../support/user-project";
import { onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import { repoRoot } from "../../harness/pulumi";
import type { TestHost } from "../../testhost";

/** A command in a user's project directory; throws with its output when it fails. */
function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, env: userEnv(cwd), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; status?: number };
    throw new Error(`\`${cmd} ${args.join(" ")}\` in ${cwd} exited ${x.status}:\n${x.stdout ?? ""}${x.stderr ?? ""}`);
  }
}

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { peerDependencies: Record<string, string> };
/** The oldest @pulumi/pulumi the package claims (the lower bound of its peer range). */
const OLDEST_SDK = /^>=(\d+\.\d+\.\d+)/.exec(pkg.peerDependencies["@pulumi/pulumi"]!)![1]!;

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

  describe(`examples/pair-into-netns (TypeScript) with the oldest claimed @pulumi/pulumi`, function () {
    const ns = "nku-old";
    let p: UserProject;
    this.beforeAll(async function () {
      await onHost(host, ["ip", "netns", "add", ns]);
      // @pulumi/pulumi before 3.229 accepts TypeScript below 6 only (its peer range): the
      // example's typescript goes back to 5, as README says for such a project.
      p = await userProject("pair-into-netns", [`@pulumi/pulumi@${OLDEST_SDK}`, "typescript@^5.9"]);
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

  describe("the SDK's types in a user project (tsc --noEmit), under Pulumi's TypeScript template", function () {
    // Pulumi's template (test/fixtures/pulumi-template-typescript) has `module`/`moduleResolution`
    // `nodenext` since March 2026; before, `commonjs`/`node`, which TypeScript 6 deprecates
    // (TS5107) and 7 removes. Strict, no esModuleInterop, no skipLibCheck, in both.
    const COMMONJS = { module: "commonjs", moduleResolution: "node" };
    const PROGRAM = [
      'import * as pulumi from "@pulumi/pulumi";',
      'import { NetkitPair, NetkitSingle, RxqBinding, type ConnectionArgs, type NetkitMode } from "pulumi-netkit";',
      "",
      'const connection: ConnectionArgs = { host: "10.0.0.5", hostKey: "SHA256:x", privateKey: new pulumi.Config().requireSecret("key") };',
      'const mode: NetkitMode = "l3";',
      'const pair = new NetkitPair("pod1", { connection, name: "nk-pod1", peerName: "eth0", peerNetns: "pod1", mode, mtu: 9000, programs: [{ pin: "/sys/fs/bpf/p" }] });',
      'const xsk = new NetkitSingle("xsk", { name: "nk-xsk0", netns: "pod1", leases: [{ nic: "enp1s0f0", queue: 3 }] });',
      'const rxq = new RxqBinding("rxq", { device: xsk, nic: "enp1s0f0", nicQueue: 4 });',
      "export const ids: pulumi.Output<number>[] = [pair.peerIfindex, xsk.ifindex, rxq.queueId];",
      "export const queues: pulumi.Output<number[]> = xsk.leaseQueueIds;",
      "",
    ].join("\n");
    let dir: string;

    before(async function () {
      dir = mkdtempSync(join(tmpdir(), "netkit-tsc-"));
      cpSync(join(repoRoot, "test", "fixtures", "pulumi-template-typescript"), dir, { recursive: true });
      for (const f of ["package.json", "Pulumi.yaml"])
        writeFileSync(join(dir, f), readFileSync(join(dir, f), "utf8").replaceAll("${PROJECT}", "tsc-check").replaceAll("${DESCRIPTION}", "x"));
      writeFileSync(join(dir, "index.ts"), PROGRAM);
      run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", await packedTarball()], dir);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const tsc = (version: string, config: Record<string, string> = {}) => {
      const base = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "pulumi-template-typescript", "tsconfig.json"), "utf8")) as {
        compilerOptions: Record<string, unknown>;
      };
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ ...base, compilerOptions: { ...base.compilerOptions, ...config } }, null, 2));
      return run("npm", ["exec", "--yes", `--package=typescript@${version}`, "--", "tsc", "--noEmit", "-p", "tsconfig.json"], dir);
    };

    for (const version of ["5.0", "5.9", "6.0", "7.0"])
      it(`type-checks with TypeScript ${version} and the template's nodenext tsconfig`, function () {
        tsc(version);
      });

    for (const version of ["5.0", "5.9"])
      it(`type-checks with TypeScript ${version} and the template's earlier commonjs/node tsconfig (no esModuleInterop, no skipLibCheck)`, function () {
        tsc(version, COMMONJS);
      });

    it("TypeScript 6 refuses the earlier tsconfig itself (TS5107, moduleResolution node), whatever the package: hence nodenext", function () {
      assert.throws(() => tsc("6.0", COMMONJS), /TS5107/);
    });
  });
});
