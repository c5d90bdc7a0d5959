// `runtime: python`: the program runs under python-runner.py (beside this file), which hands
// the engine's settings to the `pulumi` package the program imports and runs its __main__.py.
// The interpreter is the project's virtualenv (`runtime.options.virtualenv` in Pulumi.yaml,
// relative to the project root) when it names one, else `python3` from PATH.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { promisify } from "node:util";
import { runChild, streamCommand, type RunOutcome } from "./child";
import { pluginOf, type Language } from "./language";
import type { PulumiPackage } from "./packages";
import { programOf, type Program } from "./program";

const execFileP = promisify(execFile);

/** The virtualenv Pulumi.yaml names, as an absolute path. */
function virtualenvOf(program: Program): string | undefined {
  const v = program.options.virtualenv;
  if (typeof v !== "string" || !v) return undefined;
  return isAbsolute(v) ? v : resolve(program.root, v);
}

/** The interpreter and the environment (the virtualenv activated) a program runs with. */
function interpreter(program: Program): { python: string; env: NodeJS.ProcessEnv; venv?: string } {
  const venv = virtualenvOf(program);
  if (!venv) return { python: "python3", env: process.env };
  const bin = join(venv, "bin");
  return { python: join(bin, "python"), env: { ...process.env, VIRTUAL_ENV: venv, PATH: [bin, process.env.PATH].filter(Boolean).join(delimiter) }, venv };
}

const noVenv = (venv: string) =>
  `The virtualenv ${venv} that Pulumi.yaml names (runtime.options.virtualenv) does not exist: create it (python3 -m venv ${venv}) and install the program's packages into it`;

/** The runner's command line (after the interpreter): the engine's settings, then the program and its arguments. */
export function pythonRunnerArgs(req: import("@pulumi/pulumi/proto/language_pb").RunRequest, engineAddress: string, runner: string): string[] {
  const program = programOf(req.getInfo(), { pwd: req.getPwd(), program: req.getProgram() });
  const args = ["-u", runner];
  const flag = (name: string, value: string | undefined) => {
    if (value) args.push(`--${name}`, value);
  };
  flag("monitor", req.getMonitorAddress());
  flag("engine", engineAddress);
  flag("organization", req.getOrganization());
  flag("project", req.getProject());
  flag("stack", req.getStack());
  flag("root-directory", program.root);
  flag("parallel", String(req.getParallel()));
  if (req.getDryrun()) args.push("--dry-run");
  args.push(resolve(program.dir, program.entry), ...req.getArgsList());
  return args;
}

function configEnv(req: import("@pulumi/pulumi/proto/language_pb").RunRequest): Record<string, string> {
  const config: Record<string, string> = {};
  req.getConfigMap().forEach((value, key) => {
    config[key] = value;
  });
  return { PULUMI_CONFIG: JSON.stringify(config), PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()) };
}

// Every pulumi-plugin.json of a top-level package on the interpreter's site-packages (where the
// generated SDKs put theirs), printed as one JSON array.
const FIND_PLUGINS = `
import json, os, site, sys
found = []
for d in [p for p in sys.path if p.endswith("-packages") and os.path.isdir(p)]:
    for name in sorted(os.listdir(d)):
        f = os.path.join(d, name, "pulumi-plugin.json")
        if os.path.isfile(f):
            try:
                with open(f) as fh:
                    found.append(json.load(fh))
            except Exception:
                pass
print(json.dumps(found))
`;

export const python: Language = {
  name: "python",

  async run(req, engine, signal): Promise<RunOutcome> {
    const program = programOf(req.getInfo(), { pwd: req.getPwd() });
    const { python: exe, env, venv } = interpreter(program);
    if (venv && !existsSync(exe)) return { error: noVenv(venv) };
    const args = pythonRunnerArgs(req, engine.engineAddress, join(__dirname, "python-runner.py"));
    return runChild(exe, args, { cwd: program.dir, env: { ...env, ...configEnv(req) } }, signal);
  },

  async requiredPackages(program) {
    const { python: exe, env } = interpreter(program);
    try {
      const { stdout } = await execFileP(exe, ["-c", FIND_PLUGINS], { cwd: program.dir, env, timeout: 20_000 });
      return (JSON.parse(stdout) as unknown[]).map(pluginOf).filter((p): p is PulumiPackage => p !== undefined);
    } catch {
      return []; // no interpreter or virtualenv yet: nothing to report
    }
  },

  // `pulumi install`: the virtualenv made when Pulumi.yaml names one, then requirements.txt into it.
  async install(program, write, signal) {
    const { python: exe, env, venv } = interpreter(program);
    if (venv && !existsSync(exe)) await streamCommand("python3", ["-m", "venv", venv], { cwd: program.root }, write, signal);
    const requirements = join(program.dir, "requirements.txt");
    if (!existsSync(requirements)) {
      write("stdout", Buffer.from(`no requirements.txt in ${program.dir}: nothing to install\n`));
      return;
    }
    await streamCommand(exe, ["-m", "pip", "install", "-r", requirements], { cwd: program.dir, env }, write, signal);
  },

  async about(program) {
    const { python: exe, env } = interpreter(program);
    const { stdout } = await execFileP(exe, ["-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"], { env, timeout: 10_000 });
    const [executable = exe, version = ""] = stdout.trim().split("\n");
    return { executable, version, metadata: { toolchain: "pip", ...(virtualenvOf(program) ? { virtualenv: dirname(dirname(executable)) } : {}) } };
  },

  async dependencies(program) {
    const { python: exe, env } = interpreter(program);
    try {
      const { stdout } = await execFileP(exe, ["-m", "pip", "list", "--format", "json", "--disable-pip-version-check"], { env, timeout: 30_000 });
      return (JSON.parse(stdout) as { name: string; version: string }[]).map(({ name, version }) => ({ name, version }));
    } catch {
      return [];
    }
  },
};
