// `runtime: go`: the program is built with `go build` in its directory (or is the prebuilt
// binary Pulumi.yaml names, `runtime.options.binary`) and run with the engine's settings in
// the PULUMI_* variables that the Go SDK's pulumi.Run reads. A build is reused while nothing
// it links changed.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import type { RunRequest } from "@pulumi/pulumi/proto/language_pb";
import { runChild, streamCommand, type EngineArgs, type RunOutcome } from "./child";
import { pluginOf, type Language } from "./language";
import type { PulumiPackage } from "./packages";
import { programOf } from "./program";

const execFileP = promisify(execFile);

/** The variables pulumi.Run reads (sdk/go/pulumi/run.go): the engine's settings and the stack's config. */
export function goProgramEnv(req: RunRequest, engine: EngineArgs): Record<string, string> {
  const program = programOf(req.getInfo(), { pwd: req.getPwd() });
  const config: Record<string, string> = {};
  req.getConfigMap().forEach((value, key) => {
    config[key] = value;
  });
  const env: Record<string, string> = {
    PULUMI_MONITOR: req.getMonitorAddress(),
    PULUMI_ENGINE: engine.engineAddress,
    PULUMI_PROJECT: req.getProject(),
    PULUMI_STACK: req.getStack(),
    PULUMI_ROOT_DIRECTORY: program.root,
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
    PULUMI_DRY_RUN: String(req.getDryrun()),
    PULUMI_PARALLEL: String(req.getParallel()),
  };
  if (req.getOrganization()) env.PULUMI_ORGANIZATION = req.getOrganization();
  return env;
}

/** Where built programs are kept between runs (each `pulumi` command starts new hosts). */
const BUILDS = join(tmpdir(), "pulumi-language-go-builds");
const DAY_MS = 24 * 3600 * 1000;

/**
 * The program's binary: `go build` output, reused while what it links is unchanged. Go's build
 * cache spares the compiling but not the link, seconds per run, and a preview and an up run the
 * program again and again. The key is the export data of every package the program links as
 * `go list -export` names it: files in Go's build cache named by the hash of each package's
 * inputs (sources, dependencies, toolchain). Build errors go to the stack's diagnostics.
 */
async function build(dir: string, signal?: AbortSignal): Promise<{ exe: string } | RunOutcome> {
  let key: string | undefined;
  try {
    const { stdout } = await execFileP("go", ["list", "-deps", "-export", "-f", "{{.ImportPath}} {{.Export}}", "."], { cwd: dir, timeout: 600_000, maxBuffer: 64 << 20 });
    key = createHash("sha256").update(stdout).digest("hex").slice(0, 24);
  } catch {
    // It does not compile: `go build` below says why, in the diagnostics.
  }
  const exe = key ? join(BUILDS, key, "program") : undefined;
  if (exe && existsSync(exe)) return { exe };
  mkdirSync(BUILDS, { recursive: true });
  prune();
  const stage = mkdtempSync(join(BUILDS, ".build-"));
  try {
    const r = await runChild("go", ["build", "-o", join(stage, "program"), "."], { cwd: dir }, signal);
    if (r.error || r.bail) return { error: `go build in ${dir} failed (${r.error ?? "exit code 32"}); its output is above` };
    if (!exe) return { error: `go build in ${dir} succeeded where go list -export failed` };
    try {
      renameSync(stage, dirname(exe));
    } catch {
      // another host built the same program meanwhile: theirs is as good
    }
    return { exe };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Builds unused for a day go. */
function prune(): void {
  for (const name of readdirSync(BUILDS)) {
    const path = join(BUILDS, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > DAY_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // gone already
    }
  }
}

export const go: Language = {
  name: "go",

  async run(req, engine, signal) {
    const program = programOf(req.getInfo(), { pwd: req.getPwd() });
    const env = { ...process.env, ...goProgramEnv(req, engine) };
    const binary = program.options.binary;
    if (typeof binary === "string" && binary) return runChild(resolve(program.dir, binary), req.getArgsList(), { cwd: program.dir, env }, signal);
    const built = await build(program.dir, signal);
    if (!("exe" in built)) return built;
    const now = new Date();
    utimesSync(dirname(built.exe), now, now);
    return runChild(built.exe, req.getArgsList(), { cwd: program.dir, env }, signal);
  },

  // The pulumi-plugin.json of every package the program imports (the generated SDKs ship one).
  async requiredPackages(program) {
    try {
      const { stdout } = await execFileP("go", ["list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./..."], { cwd: program.dir, timeout: 60_000, maxBuffer: 16 << 20 });
      const found = new Map<string, PulumiPackage>();
      for (const dir of stdout.split("\n").filter(Boolean)) {
        const f = join(dir, "pulumi-plugin.json");
        if (!existsSync(f)) continue;
        try {
          const p = pluginOf(JSON.parse(await readFile(f, "utf8")));
          if (p) found.set(`${p.name}@${p.version ?? ""}`, p);
        } catch {
          // unreadable: skip it
        }
      }
      return [...found.values()];
    } catch {
      return []; // no go, or the program does not build yet: nothing to report
    }
  },

  // `pulumi install`: the module's requirements resolved and downloaded.
  install(program, write, signal) {
    if (!existsSync(join(program.dir, "go.mod"))) {
      write("stdout", Buffer.from(`no go.mod in ${program.dir}: nothing to install\n`));
      return Promise.resolve();
    }
    return streamCommand("go", ["mod", "tidy"], { cwd: program.dir }, write, signal);
  },

  async about() {
    const { stdout } = await execFileP("go", ["env", "GOROOT", "GOVERSION"], { timeout: 10_000 });
    const [goroot = "", version = ""] = stdout.trim().split("\n");
    return { executable: join(goroot, "bin", "go"), version: version.replace(/^go/, ""), metadata: {} };
  },

  async dependencies(program) {
    try {
      const { stdout } = await execFileP("go", ["list", "-m", "-f", "{{if not .Main}}{{.Path}} {{.Version}}{{end}}", "all"], {
        cwd: program.dir,
        timeout: 60_000,
        maxBuffer: 16 << 20,
      });
      return stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => {
          const [name = "", version = ""] = l.split(" ");
          return { name, version };
        });
    } catch {
      return [];
    }
  },
};
