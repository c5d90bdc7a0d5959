// Run: the program goes to @pulumi/pulumi's own runner (`cmd/run`), resolved from the program
// directory the way Node would resolve it there, so the program runs with the SDK it installed.
// The runner connects to the engine's resource monitor itself; its stdout/stderr are the
// host's, which the engine already turns into the stack's diagnostics.
import type { RunRequest } from "@pulumi/pulumi/proto/language_pb";
import { runChild, type EngineArgs, type RunOutcome } from "./child";
import { programOf } from "./program";

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
  // The node running the host runs the program too: the launcher chose it.
  return runChild(process.execPath, args, { env: { ...process.env, ...env } }, signal);
}
