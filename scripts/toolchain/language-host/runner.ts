// Run: the program goes to @pulumi/pulumi's own runner (`cmd/run`), resolved from the program
// directory the way Node would resolve it there, so the program runs with the SDK it installed.
// The runner connects to the engine's resource monitor itself; its stdout/stderr are the
// host's, which the engine already turns into the stack's diagnostics.
import { spawn } from "node:child_process";
import type { RunRequest } from "@pulumi/pulumi/proto/language_pb";
import { programOf } from "./program";
import { track } from "./processes";

/** What the engine told the host on its command line (or later in Handshake). */
export interface EngineArgs {
  engineAddress: string;
  tracing?: string;
}

/** Success is `{}`; `bail`: the program reported its own error already; else `error`. */
export interface RunOutcome {
  bail?: boolean;
  error?: string;
}

/** The SDK's runner exits with this code after it has logged the program's error to the engine. */
export const BAIL_EXIT_CODE = 32;

export const SDK_MISSING = "It looks like the Pulumi SDK has not been installed. Have you run pulumi install?";

/** The runner's command line (after node) and the variables it adds to the environment. */
export function runnerInvocation(req: RunRequest, runner: string, engine: EngineArgs): { args: string[]; env: Record<string, string> } {
  const program = programOf(req.getInfo(), { pwd: req.getPwd(), program: req.getProgram() });
  const opts = program.options;
  const nodeargs = typeof opts.nodeargs === "string" ? opts.nodeargs.split(/\s+/).filter(Boolean) : [];
  const args = [...nodeargs, runner];
  const flag = (name: string, value: string | undefined) => {
    if (value) args.push(`--${name}`, value);
  };
  flag("monitor", req.getMonitorAddress());
  flag("engine", engine.engineAddress);
  flag("organization", req.getOrganization());
  flag("project", req.getProject());
  flag("root-directory", program.root);
  flag("stack", req.getStack());
  flag("pwd", program.dir);
  if (req.getDryrun()) args.push("--dry-run");
  flag("parallel", String(req.getParallel()));
  flag("tracing", engine.tracing);
  args.push(program.entry, ...req.getArgsList());

  // Keys stay `project:key`: the SDK's config reader accepts them as well as `project:config:key`.
  const config: Record<string, string> = {};
  req.getConfigMap().forEach((value, key) => {
    config[key] = value;
  });
  const env: Record<string, string> = {
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(req.getConfigsecretkeysList()),
  };
  if (opts.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (typeof opts.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = opts.tsconfig;
  return { args, env };
}

/** Runs the program to its end; never rejects (the engine wants a RunResponse, not an RPC error). */
export function runProgram(req: RunRequest, engine: EngineArgs, signal?: AbortSignal): Promise<RunOutcome> {
  const dir = programOf(req.getInfo(), { pwd: req.getPwd() }).dir;
  let runner: string;
  try {
    runner = require.resolve(process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run", { paths: [dir] });
  } catch (e) {
    return Promise.resolve({ error: `${SDK_MISSING} (${(e as Error).message.split("\n")[0]})` });
  }
  const { args, env } = runnerInvocation(req, runner, engine);
  return new Promise((resolve) => {
    let done = false;
    const settle = (o: RunOutcome) => {
      if (done) return;
      done = true;
      resolve(o);
    };
    // The node running the host runs the program too: the launcher chose it.
    const child = track(spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] }));
    signal?.addEventListener("abort", () => child.kill("SIGINT"), { once: true });
    child.once("error", (e) => settle({ error: `Problem executing program (could not run language executor): ${e.message}` }));
    child.once("close", (code, sig) => {
      if (code === 0) settle({});
      else if (code === BAIL_EXIT_CODE) settle({ bail: true });
      else if (code !== null) settle({ error: `Program exited with non-zero exit code: ${code}` });
      else settle({ error: `Program exited due to signal ${sig}` });
    });
  });
}
