// `npm run fleet -- preview|up|refresh|destroy [--file fleet.json] [--parallel 4]`: the stack
// of each host (or pool) of the fleet file, run side by side through the Automation API. Each
// stack is a stack of this project (index.ts is its program), run by its own `pulumi` and
// program process, in the backend `pulumi login` chose; its config (the hosts, the pods, the
// SSH key as a secret) is written from the fleet file before any stack runs. Every stack runs
// even when another fails; the exit status is 1 when any failed.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { eachStack, parseFleet, stackGroups, type Fleet, type StackGroup } from "./fleet";

const OPS = ["preview", "up", "refresh", "destroy"] as const;
type Op = (typeof OPS)[number];

function parseArgs(argv: string[]): { op: Op; file: string; parallel: number } {
  const op = argv[0] as Op;
  if (!OPS.includes(op)) throw new Error(`usage: npm run fleet -- ${OPS.join("|")} [--file fleet.json] [--parallel N]`);
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i > 0 ? argv[i + 1] : undefined;
  };
  const parallel = Number(flag("--parallel") ?? 4);
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error("--parallel takes a positive integer");
  return { op, file: flag("--file") ?? "fleet.json", parallel };
}

/** Selects (or creates) the group's stack and writes its config. */
async function prepare(g: StackGroup, f: Fleet, privateKey: string): Promise<Stack> {
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: g.stack, workDir: join(__dirname, "..") });
  await stack.setAllConfig({
    hosts: { value: JSON.stringify(g.hosts.map(({ name, host, port, user, hostKey }) => ({ name, host, port, user, hostKey }))) },
    pods: { value: String(f.pods) },
    netns: { value: f.netns },
    prefix: { value: f.prefix ?? "pod" },
    "netkit:privateKey": { value: privateKey, secret: true },
  });
  return stack;
}

/** Writes a stack's output line by line, each line prefixed with its stack's name. */
function prefixed(stack: string): { write: (chunk: string) => void; end: () => void } {
  let rest = "";
  return {
    write: (chunk) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop()!;
      for (const l of lines) process.stdout.write(`[${stack}] ${l}\n`);
    },
    end: () => rest && process.stdout.write(`[${stack}] ${rest}\n`),
  };
}

/** What the operation changed (or, for preview, would change): "create 4", "same 4, delete 1". */
async function run(stack: Stack, op: Op): Promise<string> {
  const out = prefixed(stack.name);
  const opts = { onOutput: out.write };
  try {
    const changes =
      op === "preview"
        ? (await stack.preview(opts)).changeSummary
        : (await (op === "up" ? stack.up(opts) : op === "refresh" ? stack.refresh(opts) : stack.destroy(opts))).summary.resourceChanges;
    return Object.entries(changes ?? {})
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ");
  } finally {
    out.end();
  }
}

async function main(): Promise<void> {
  const { op, file, parallel } = parseArgs(process.argv.slice(2));
  const fleet = parseFleet(readFileSync(file, "utf8"), file);
  const privateKey = readFileSync(fleet.privateKeyFile.replace(/^~(?=\/)/, homedir()), "utf8");
  const groups = stackGroups(fleet.hosts);
  // One after another: creating stacks and writing their config is quick, and fails early.
  const stacks = new Map<string, Stack>();
  for (const g of groups) stacks.set(g.stack, await prepare(g, fleet, privateKey));
  const outcomes = await eachStack(groups, parallel, (g) => run(stacks.get(g.stack)!, op));
  for (const o of outcomes) console.log(o.ok ? `${o.stack}: ${op}: ${o.value || "no changes"}` : `${o.stack}: ${op} FAILED: ${o.error.message.split("\n")[0]}`);
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
