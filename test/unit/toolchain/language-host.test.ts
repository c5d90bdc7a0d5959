// The test-only language host (scripts/toolchain/language-host/): started the way the engine
// starts it (piped stdin, ENGINE_ADDR last), spoken to through @pulumi/pulumi's generated
// client. Run goes to a stand-in for the SDK's runner (PULUMI_LANGUAGE_NODEJS_RUN_PATH) that
// records its command line and exits as told, so the engine's side of Run is checked without
// an engine: argv, config env, exit code 0 / 32 (bail) / other, and no runner outliving a host
// whose engine went away.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Interceptor, ServiceError } from "@grpc/grpc-js";
import { LanguageRuntimeClient } from "@pulumi/pulumi/proto/language_grpc_pb";
import * as lang from "@pulumi/pulumi/proto/language_pb";
import { fromPulumiTree, pulumiDir } from "../../../harness/pulumi-tree";

// grpc-js and google-protobuf as @pulumi/pulumi's generated client and messages load them.
const grpc = fromPulumiTree<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");
const { Empty } = fromPulumiTree<typeof import("google-protobuf/google/protobuf/empty_pb")>("google-protobuf/google/protobuf/empty_pb");
type Empty = import("google-protobuf/google/protobuf/empty_pb").Empty;
const { Struct } = fromPulumiTree<typeof import("google-protobuf/google/protobuf/struct_pb")>("google-protobuf/google/protobuf/struct_pb");

const hostMain = join(__dirname, "../../../scripts/toolchain/language-host/main.js");
const sdkVersion = (JSON.parse(readFileSync(join(pulumiDir, "package.json"), "utf8")) as { version: string }).version;

const rpc = <R>(start: (cb: (e: ServiceError | null, r: R) => void) => unknown) => new Promise<R>((resolve, reject) => start((e, r) => (e ? reject(e) : resolve(r))));

// Every call gets a deadline: a host stuck in a loop fails its test in seconds, not at mocha's timeout.
const deadline5s: Interceptor = (options, next) => new grpc.InterceptingCall(next({ ...options, deadline: options.deadline ?? Date.now() + 5000 }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `p`'s value, or `late` if it takes longer than `ms` (the timer never outlives the race). */
async function within<T, L>(ms: number, p: Promise<T>, late: L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<L>((r) => (timer = setTimeout(() => r(late), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    const v = probe();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
}

/** A program directory whose node_modules hold plugins, non-plugins, broken files and symlink loops. */
function makeFixture(root: string): void {
  writeJson(join(root, "package.json"), {
    name: "fixture",
    dependencies: { "@pulumi/fake": "^1.0.0", absent: "^2.0.0" },
    pulumi: { resource: true, name: "root-is-not-a-dependency" },
  });
  const nm = join(root, "node_modules");
  writeJson(join(nm, "@pulumi/fake/package.json"), { name: "@pulumi/fake", version: "1.2.3", pulumi: { resource: true } });
  writeJson(join(nm, "thirdparty/package.json"), {
    name: "thirdparty",
    version: "0.0.1",
    pulumi: { resource: true, name: "netkit-x", version: "0.4.0", server: "https://plugins.example/netkit" },
  });
  writeJson(join(nm, "plain/package.json"), { name: "plain", version: "1.0.0" });
  writeJson(join(nm, "nameless/package.json"), { name: "nameless", version: "1.0.0", pulumi: { resource: true } });
  writeJson(join(nm, "broken/package.json"), "{ not json");
  writeJson(join(root, "nested/node_modules/@pulumi/deep/package.json"), { name: "@pulumi/deep", version: "2.0.0-beta.1", pulumi: { resource: true } });
  writeJson(join(root, "policy/node_modules/@pulumi/policyonly/package.json"), { name: "@pulumi/policyonly", version: "1.0.0", pulumi: { resource: true } });
  writeFileSync(join(root, "policy/PulumiPolicy.yaml"), "runtime: nodejs\n");
  symlinkSync("..", join(nm, "loop")); // back to the program directory
  symlinkSync("../..", join(nm, "@pulumi/fake/up")); // back to node_modules
  symlinkSync("does-not-exist", join(nm, "dangling"));
  symlinkSync("cycle-b", join(nm, "cycle-a"));
  symlinkSync("cycle-a", join(nm, "cycle-b"));
}

/** What the fake runner records of how it was started (FAKE_RUNNER). */
interface RunnerRecord {
  pid: number;
  execArgv: string[];
  argv: string[];
  config: string;
  secretKeys: string;
  typescript: string | null;
}

/** Stands in for @pulumi/pulumi/cmd/run: records how it was started, then exits with the code it was given or waits. */
const FAKE_RUNNER = `
const fs = require("fs"), path = require("path");
const argv = process.argv.slice(2);
const [tag, action] = argv.slice(-2);
fs.writeFileSync(path.join(process.env.FAKE_RUNNER_OUT, tag + ".json"), JSON.stringify({
  pid: process.pid, execArgv: process.execArgv, argv,
  config: process.env.PULUMI_CONFIG, secretKeys: process.env.PULUMI_CONFIG_SECRET_KEYS,
  typescript: process.env.PULUMI_NODEJS_TYPESCRIPT ?? null,
}));
if (action === "wait") setInterval(() => {}, 1000); else process.exit(Number(action));
`;

describe("unit: toolchain/language-host (pulumi-language-nodejs)", function () {
  this.timeout(30000);
  let tmp: string;
  let program: string;
  let records: string;
  let host: ChildProcessWithoutNullStreams;
  let stdout = "";
  let stderr = "";
  let exited: Promise<number | null>;
  let client: LanguageRuntimeClient;

  const info = (dir: string, options?: object) => {
    const i = new lang.ProgramInfo().setRootDirectory(dir).setProgramDirectory(dir).setEntryPoint("index.js");
    if (options) i.setOptions(Struct.fromJavaScript(options as never));
    return i;
  };

  before(async function () {
    tmp = mkdtempSync(join(tmpdir(), "lh-test-"));
    program = join(tmp, "program");
    records = join(tmp, "records");
    mkdirSync(records);
    makeFixture(program);
    writeFileSync(join(tmp, "fake-runner.js"), FAKE_RUNNER);
    host = spawn(process.execPath, [hostMain, "--logtostderr", "-v=9", "--tracing", "http://127.0.0.1:9/trace", "127.0.0.1:1"], {
      cwd: program,
      env: { ...process.env, PULUMI_LANGUAGE_NODEJS_RUN_PATH: join(tmp, "fake-runner.js"), FAKE_RUNNER_OUT: records },
      stdio: ["pipe", "pipe", "pipe"],
    });
    host.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    host.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    exited = new Promise((resolve) => host.once("exit", resolve));
    const port = await waitFor("the port line", () => /^(\d+)\n/.exec(stdout)?.[1], 10000).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; stderr: ${stderr}`);
    });
    client = new LanguageRuntimeClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { interceptors: [deadline5s] });
  });

  after(() => {
    client?.close();
    if (host && host.exitCode === null && host.signalCode === null) host.kill("SIGKILL");
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("answers GetPluginInfo with the version of the @pulumi/pulumi it loaded (semver: the engine parses it)", async () => {
    const r = await rpc<import("@pulumi/pulumi/proto/plugin_pb").PluginInfo>((cb) => client.getPluginInfo(new Empty(), cb));
    assert.equal(r.getVersion(), sdkVersion);
    assert.match(r.getVersion(), /^\d+\.\d+\.\d+(-[\w.-]+)?$/);
  });

  it("GetRequiredPackages finds the plugins under node_modules, ends on symlink loops, skips policy packs and broken files", async () => {
    const r = await rpc<lang.GetRequiredPackagesResponse>((cb) => client.getRequiredPackages(new lang.GetRequiredPackagesRequest().setInfo(info(program)), cb));
    const got = r.getPackagesList().map((p) => ({ name: p.getName(), kind: p.getKind(), version: p.getVersion(), server: p.getServer() }));
    assert.deepEqual(got, [
      { name: "deep", kind: "resource", version: "v2.0.0-beta.1", server: "" },
      { name: "fake", kind: "resource", version: "v1.2.3", server: "" },
      { name: "netkit-x", kind: "resource", version: "v0.4.0", server: "https://plugins.example/netkit" },
    ]);
  });

  it("GetRequiredPackages of a missing directory is empty, not an error (an error would fail `pulumi up`)", async () => {
    const r = await rpc<lang.GetRequiredPackagesResponse>((cb) => client.getRequiredPackages(new lang.GetRequiredPackagesRequest().setInfo(info(join(tmp, "nowhere"))), cb));
    assert.deepEqual(r.getPackagesList(), []);
  });

  it("About names the node running it and npm", async () => {
    const r = await rpc<lang.AboutResponse>((cb) => client.about(new lang.AboutRequest().setInfo(info(program)), cb));
    assert.equal(r.getExecutable(), process.execPath);
    assert.equal(r.getVersion(), process.version);
    assert.equal(r.getMetadataMap().get("packagemanager"), "npm");
  });

  it("GetProgramDependencies lists package.json's dependencies, installed version first", async () => {
    const r = await rpc<lang.GetProgramDependenciesResponse>((cb) => client.getProgramDependencies(new lang.GetProgramDependenciesRequest().setInfo(info(program)), cb));
    assert.deepEqual(
      r.getDependenciesList().map((d) => [d.getName(), d.getVersion()]),
      [
        ["@pulumi/fake", "1.2.3"],
        ["absent", "^2.0.0"],
      ],
    );
  });

  it("InstallDependencies without a package.json streams a line and ends cleanly", async () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    const out: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = client.installDependencies(new lang.InstallDependenciesRequest().setInfo(info(empty)));
      s.on("data", (m: lang.InstallDependenciesResponse) => out.push(Buffer.from(m.getStdout_asU8()).toString()));
      s.on("error", reject);
      s.on("end", resolve);
    });
    assert.match(out.join(""), /nothing to install/);
  });

  const run = (tag: string, action: string, options?: object) => {
    const req = new lang.RunRequest()
      .setInfo(info(program, options))
      .setMonitorAddress("127.0.0.1:9")
      .setOrganization("org")
      .setProject("proj")
      .setStack("dev")
      .setDryrun(true)
      .setParallel(4)
      .setArgsList([tag, action])
      .setConfigsecretkeysList(["proj:token"]);
    req.getConfigMap().set("proj:greeting", "hi").set("proj:token", "s3cr3t");
    return rpc<lang.RunResponse>((cb) => client.run(req, cb));
  };
  const record = (tag: string) => JSON.parse(readFileSync(join(records, `${tag}.json`), "utf8")) as RunnerRecord;

  it("Run starts the runner with the engine's flags, config and TypeScript on; exit 0 is success", async () => {
    const r = await run("ok", "0");
    assert.deepEqual([r.getBail(), r.getError()], [false, ""]);
    const rec = record("ok");
    assert.deepEqual(rec.argv, [
      ...["--monitor", "127.0.0.1:9", "--engine", "127.0.0.1:1", "--organization", "org", "--project", "proj"],
      ...["--root-directory", program, "--stack", "dev", "--pwd", program, "--dry-run", "--parallel", "4"],
      ...["--tracing", "http://127.0.0.1:9/trace", "index.js", "ok", "0"],
    ]);
    assert.deepEqual(JSON.parse(rec.config), { "proj:greeting": "hi", "proj:token": "s3cr3t" });
    assert.deepEqual(JSON.parse(rec.secretKeys), ["proj:token"]);
    assert.equal(rec.typescript, "true");
  });

  it("Run: exit 32 is a bail (the program reported its error), with runtime options nodeargs and typescript: false", async () => {
    const r = await run("bailed", "32", { nodeargs: "--no-warnings  --no-deprecation", typescript: false });
    assert.deepEqual([r.getBail(), r.getError()], [true, ""]);
    assert.deepEqual(record("bailed").execArgv, ["--no-warnings", "--no-deprecation"]);
    assert.equal(record("bailed").typescript, null);
  });

  it("Run: any other exit code is an error naming it", async () => {
    const r = await run("failed", "3");
    assert.deepEqual([r.getBail(), r.getError()], [false, "Program exited with non-zero exit code: 3"]);
  });

  it("Cancel is acknowledged", async () => {
    await rpc<Empty>((cb) => client.cancel(new Empty(), cb));
  });

  it("has written nothing to stdout but the port line", () => {
    assert.match(stdout, /^\d+\n$/);
  });

  it("exits within seconds once stdin closes (the engine is gone), and the program it ran goes with it", async () => {
    const pending = run("orphan", "wait").catch((e: unknown) => e);
    const pid: number = await waitFor("the waiting runner", () => (existsSync(join(records, "orphan.json")) ? record("orphan").pid : undefined));
    host.stdin.end();
    const code = await within(5000, exited, "still running after 5 s");
    assert.equal(code, 0, `host exit code; stderr: ${stderr}`);
    assert.ok((await pending) instanceof Error, "the pending Run fails with the host gone");
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    assert.equal(alive(), false, `runner ${pid} outlived the host`);
    assert.match(stdout, /^\d+\n$/, "still nothing but the port on stdout");
  });
});
