// The test-only language host as pulumi-language-python and pulumi-language-go (--runtime=),
// started the way the engine starts it and spoken to through @pulumi/pulumi's generated client.
// Run goes to stand-ins that record what they were given: for Python, the interpreter of the
// project's virtualenv (runtime.options.virtualenv, relative to the project root), given the
// runner and the engine's settings; for Go, the program binary (runtime.options.binary), given
// the PULUMI_* variables pulumi.Run reads. The lifecycle tier runs real programs.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceError } from "@grpc/grpc-js";
import { LanguageRuntimeClient } from "@pulumi/pulumi/proto/language_grpc_pb";
import * as lang from "@pulumi/pulumi/proto/language_pb";
import { fromPulumiTree } from "../../../harness/pulumi-tree";

const grpc = fromPulumiTree<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");
const { Empty } = fromPulumiTree<typeof import("google-protobuf/google/protobuf/empty_pb")>("google-protobuf/google/protobuf/empty_pb");
const { Struct } = fromPulumiTree<typeof import("google-protobuf/google/protobuf/struct_pb")>("google-protobuf/google/protobuf/struct_pb");
const hostMain = join(__dirname, "../../../scripts/toolchain/language-host/main.js");

const rpc = <R>(start: (cb: (e: ServiceError | null, r: R) => void) => unknown) => new Promise<R>((resolve, reject) => start((e, r) => (e ? reject(e) : resolve(r))));

/** An executable that records its argv, cwd and its PULUMI_ and VIRTUAL_ENV variables to $RECORD, then exits with $EXIT. */
const recorder = (file: string) => {
  writeFileSync(
    file,
    `#!${process.execPath}
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(PULUMI_|VIRTUAL_ENV$)/.test(k)));
require("node:fs").writeFileSync(process.env.RECORD, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), env }));
process.exit(Number(process.env.EXIT ?? 0));
`,
  );
  chmodSync(file, 0o755);
};

interface Record {
  argv: string[];
  cwd: string;
  env: NodeJS.Dict<string>;
}

async function startHost(runtime: string, env: NodeJS.ProcessEnv): Promise<{ client: LanguageRuntimeClient; host: ChildProcessWithoutNullStreams }> {
  // The test's own PULUMI_* (if any) stay out: the recorders report what the host sets.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PULUMI_")));
  const host = spawn(process.execPath, [hostMain, `--runtime=${runtime}`, "127.0.0.1:1"], { env: { ...base, ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  host.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  for (const end = Date.now() + 10_000; !/^\d+\n/.test(stdout); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) throw new Error(`pulumi-language-${runtime} printed no port`);
  }
  return { client: new LanguageRuntimeClient(`127.0.0.1:${stdout.trim()}`, grpc.credentials.createInsecure()), host };
}

function runRequest(root: string, dir: string, options: object): lang.RunRequest {
  const info = new lang.ProgramInfo()
    .setRootDirectory(root)
    .setProgramDirectory(dir)
    .setEntryPoint(".")
    .setOptions(Struct.fromJavaScript(options as never));
  const req = new lang.RunRequest()
    .setInfo(info)
    .setMonitorAddress("127.0.0.1:9")
    .setOrganization("org")
    .setProject("proj")
    .setStack("dev")
    .setDryrun(true)
    .setParallel(4)
    .setArgsList(["extra"])
    .setConfigsecretkeysList(["proj:token"]);
  req.getConfigMap().set("proj:greeting", "hi").set("proj:token", "s3cr3t").set("netkit:host", "10.0.0.5");
  return req;
}

describe("unit: toolchain/language-host as pulumi-language-python and pulumi-language-go", function () {
  this.timeout(30_000);
  let tmp: string;
  const hosts: ChildProcessWithoutNullStreams[] = [];
  const clients: LanguageRuntimeClient[] = [];
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), "lh-runtimes-"));
  });
  after(() => {
    for (const c of clients) c.close();
    for (const h of hosts) if (h.exitCode === null) h.kill("SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  });
  const start = async (runtime: string, env: NodeJS.ProcessEnv) => {
    const { client, host } = await startHost(runtime, env);
    hosts.push(host);
    clients.push(client);
    return client;
  };

  it("python: Run starts the virtualenv's interpreter on the runner with the engine's settings, the program directory and the config", async () => {
    const root = join(tmp, "py");
    mkdirSync(join(root, "venv", "bin"), { recursive: true });
    recorder(join(root, "venv", "bin", "python"));
    const client = await start("python", { RECORD: join(tmp, "py.json"), EXIT: "0" });
    const info = await rpc<import("@pulumi/pulumi/proto/plugin_pb").PluginInfo>((cb) => client.getPluginInfo(new Empty(), cb));
    assert.match(info.getVersion(), /^\d+\.\d+\.\d+$/);
    const r = await rpc<lang.RunResponse>((cb) => client.run(runRequest(root, root, { virtualenv: "venv" }), cb));
    assert.deepEqual([r.getBail(), r.getError()], [false, ""]);
    const rec = JSON.parse(readFileSync(join(tmp, "py.json"), "utf8")) as Record;
    assert.deepEqual(rec.argv, [
      "-u",
      join(__dirname, "../../../scripts/toolchain/language-host/python-runner.py"),
      ...["--monitor", "127.0.0.1:9", "--engine", "127.0.0.1:1", "--organization", "org", "--project", "proj", "--stack", "dev"],
      ...["--root-directory", root, "--parallel", "4", "--dry-run", root, "extra"],
    ]);
    assert.equal(rec.cwd, root);
    assert.equal(rec.env.VIRTUAL_ENV, join(root, "venv"));
    assert.deepEqual(JSON.parse(rec.env.PULUMI_CONFIG!), { "proj:greeting": "hi", "proj:token": "s3cr3t", "netkit:host": "10.0.0.5" });
    assert.deepEqual(JSON.parse(rec.env.PULUMI_CONFIG_SECRET_KEYS!), ["proj:token"]);
  });

  it("python: a virtualenv that does not exist is an error naming it and how to make it", async () => {
    const client = await start("python", {});
    const r = await rpc<lang.RunResponse>((cb) => client.run(runRequest(join(tmp, "nopy"), join(tmp, "nopy"), { virtualenv: "venv" }), cb));
    assert.match(r.getError(), new RegExp(`virtualenv ${join(tmp, "nopy", "venv")} .* does not exist: create it \\(python3 -m venv`));
  });

  it("python: exit 32 from the runner is a bail (the program's error was logged through the engine)", async () => {
    const root = join(tmp, "py");
    const client = await start("python", { RECORD: join(tmp, "py32.json"), EXIT: "32" });
    const r = await rpc<lang.RunResponse>((cb) => client.run(runRequest(root, root, { virtualenv: "venv" }), cb));
    assert.deepEqual([r.getBail(), r.getError()], [true, ""]);
  });

  it("go: Run gives the program the PULUMI_* variables pulumi.Run reads; another exit code is an error naming it", async () => {
    const root = join(tmp, "go");
    mkdirSync(root, { recursive: true });
    recorder(join(root, "program"));
    const client = await start("go", { RECORD: join(tmp, "go.json"), EXIT: "3" });
    const r = await rpc<lang.RunResponse>((cb) => client.run(runRequest(root, root, { binary: "program" }), cb));
    assert.deepEqual([r.getBail(), r.getError()], [false, "Program exited with non-zero exit code: 3"]);
    const rec = JSON.parse(readFileSync(join(tmp, "go.json"), "utf8")) as Record;
    assert.deepEqual(rec.argv, ["extra"]);
    assert.equal(rec.cwd, root);
    const { PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS, ...settings } = rec.env;
    assert.deepEqual(settings, {
      PULUMI_MONITOR: "127.0.0.1:9",
      PULUMI_ENGINE: "127.0.0.1:1",
      PULUMI_PROJECT: "proj",
      PULUMI_STACK: "dev",
      PULUMI_ORGANIZATION: "org",
      PULUMI_ROOT_DIRECTORY: root,
      PULUMI_DRY_RUN: "true",
      PULUMI_PARALLEL: "4",
    });
    assert.deepEqual(JSON.parse(PULUMI_CONFIG!), { "proj:greeting": "hi", "proj:token": "s3cr3t", "netkit:host": "10.0.0.5" });
    assert.deepEqual(JSON.parse(PULUMI_CONFIG_SECRET_KEYS!), ["proj:token"]);
  });
});
