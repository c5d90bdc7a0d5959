// InstallDependencies (`pulumi install`, `pulumi new`, plugins built from source): we run
// `npm install` in the program directory when it has a package.json, streaming npm's output
// as it comes, and fail the RPC when npm fails. Without a package.json there (the examples
// use the repository's install) there is nothing of the program's own to install: one line
// says so, and npm never goes looking for a project further up.
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { streamCommand, type Sink } from "./child";

export function installDependencies(dir: string, write: Sink, signal?: AbortSignal): Promise<void> {
  if (!existsSync(join(dir, "package.json"))) {
    write("stdout", Buffer.from(`no package.json in ${dir}: nothing to install\n`));
    return Promise.resolve();
  }
  // The npm shipped with the node running us comes first: it matches that node.
  const env = { ...process.env, PATH: [dirname(process.execPath), process.env.PATH].filter(Boolean).join(delimiter) };
  return streamCommand("npm", ["install", "--no-audit", "--no-fund"], { cwd: dir, env }, write, signal);
}
