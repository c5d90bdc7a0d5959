// InstallDependencies (`pulumi install`, `pulumi new`, plugins built from source): we run
// `npm install` in the program directory when it has a package.json, streaming npm's output
// as it comes, and fail the RPC when npm fails. Without a package.json there (the examples
// use the repository's install) there is nothing of the program's own to install: one line
// says so, and npm never goes looking for a project further up.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { track } from "./processes";

export type Sink = (stream: "stdout" | "stderr", chunk: Buffer) => void;

export function installDependencies(dir: string, write: Sink, signal?: AbortSignal): Promise<void> {
  if (!existsSync(join(dir, "package.json"))) {
    write("stdout", Buffer.from(`no package.json in ${dir}: nothing to install\n`));
    return Promise.resolve();
  }
  const args = ["install", "--no-audit", "--no-fund"];
  write("stdout", Buffer.from(`npm ${args.join(" ")} (in ${dir})\n`));
  // The npm shipped with the node running us comes first: it matches that node.
  const env = { ...process.env, PATH: [dirname(process.execPath), process.env.PATH].filter(Boolean).join(delimiter) };
  return new Promise((resolve, reject) => {
    const child = track(spawn("npm", args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] }));
    signal?.addEventListener("abort", () => child.kill("SIGINT"), { once: true });
    child.stdout.on("data", (b: Buffer) => write("stdout", b));
    child.stderr.on("data", (b: Buffer) => write("stderr", b));
    child.once("error", (e) => reject(new Error(`could not run npm: ${e.message}`)));
    child.once("close", (code, sig) => (code === 0 ? resolve() : reject(new Error(`npm ${args[0]} in ${dir} failed: ${code === null ? `signal ${sig}` : `exit code ${code}`}`))));
  });
}
