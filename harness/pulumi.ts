// Real `pulumi` runs for tests, the benchmark and the demo: the CLI built by
// scripts/toolchain/pulumi.sh, a file backend and a private PULUMI_HOME per stack, no
// network. Inline programs run the language runtime in this process (the Automation API's
// own server), so no pulumi-language-nodejs is needed.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { LocalWorkspace, PulumiCommand, type PulumiFn, type Stack } from "@pulumi/pulumi/automation";
import { RunClients } from "./inline-runtime";

export const repoRoot = resolve(__dirname, "..", "..");

export interface TestStack {
  stack: Stack;
  workDir: string;
  /** The engine clients of its inline runs (see inline-runtime.ts). */
  clients: RunClients;
  /** Destroys nothing: removes the work dir (state and PULUMI_HOME). */
  cleanup(): void;
}

export function offlineEnv(workDir: string): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${join(workDir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_HOME: join(workDir, "home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

export async function pulumiCommand(): Promise<PulumiCommand> {
  const root = process.env.NETKIT_PULUMI_ROOT;
  if (!root) throw new Error("NETKIT_PULUMI_ROOT is not set: run the tests through `npm test`, which builds the Pulumi CLI");
  return PulumiCommand.get({ root });
}

/**
 * A stack for an inline program. Its work dir sits inside the repo (like a user's project
 * next to node_modules) so the provider process resolves `pulumi-netkit` by package name.
 */
export async function inlineStack(project: string, program: PulumiFn): Promise<TestStack> {
  const clients = new RunClients();
  const workDir = join(repoRoot, ".pulumi-work", `${project}-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(join(workDir, "state"), { recursive: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "test", projectName: project, program: clients.track(program) },
    {
      workDir,
      pulumiCommand: await pulumiCommand(),
      envVars: offlineEnv(workDir),
      projectSettings: { name: project, runtime: "nodejs", backend: { url: `file://${join(workDir, "state")}` } },
    },
  );
  closeClientsAfterEachOperation(stack, clients);
  return { stack, workDir, clients, cleanup: () => rmSync(workDir, { recursive: true, force: true }) };
}

/** Each operation closes the engine clients its run opened, whether it succeeded or not. */
function closeClientsAfterEachOperation(stack: Stack, clients: RunClients): void {
  const s = stack as unknown as Record<"up" | "preview" | "refresh" | "destroy", (o?: unknown) => Promise<unknown>>;
  for (const op of ["up", "preview", "refresh", "destroy"] as const) {
    const run = s[op].bind(stack);
    s[op] = async (opts?: unknown) => {
      try {
        return await run(opts);
      } finally {
        clients.closeAll();
      }
    };
  }
}

/** Every byte the file backend keeps for the stack (checkpoints, history, backups). */
export function stateAtRest(t: TestStack): string {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [readFileSync(p, "utf8")];
    });
  return walk(join(t.workDir, "state")).join("\n");
}

/** `pulumi stack export` as a user runs it (secrets stay ciphertext, unlike exportStack()). */
export async function exportedState(t: TestStack): Promise<string> {
  const cli = (await pulumiCommand()).command;
  return execFileSync(cli, ["stack", "export", "--stack", "test"], { cwd: t.workDir, env: { ...process.env, ...offlineEnv(t.workDir) } }).toString();
}
