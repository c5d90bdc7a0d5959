// Pulumi YAML projects driven through the real CLI (a separate process per command), using
// the provider plugin named in Pulumi.yaml, as README shows.
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { offlineEnv, pulumiCommand, repoRoot } from "./pulumi";
import type { TestHost } from "../testhost";

export interface YamlProject {
  dir: string;
  /** Runs `pulumi ARGS` in the project; output on success, an error naming the command otherwise. */
  pulumi: (...args: string[]) => Promise<string>;
  cleanup: () => void;
}

/** A YAML project dir with its own file backend and stack `test` configured for `host`. */
export async function yamlProject(name: string, host: TestHost, resources: string): Promise<YamlProject> {
  const dir = join(repoRoot, ".pulumi-work", `${name}-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(join(dir, "state"), { recursive: true });
  const cli = (await pulumiCommand()).command;
  const pulumi = async (...args: string[]) => {
    try {
      // The environment as it is at each command (the benchmark's profiler sets some per phase).
      const r = await promisify(execFile)(cli, ["--non-interactive", ...args], { cwd: dir, env: { ...process.env, ...offlineEnv(dir) }, maxBuffer: 16 << 20 });
      return r.stdout + r.stderr;
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; message: string };
      // The command line may hold the test key: name the command only.
      throw new Error(`pulumi ${args.slice(0, 2).join(" ")} failed:\n${x.stdout ?? ""}\n${x.stderr ?? ""}`);
    }
  };
  const project = `name: ${name}\nruntime: yaml\nplugins:\n  providers:\n    - name: netkit\n      path: ${join(repoRoot, "bin")}\n`;
  writeFileSync(join(dir, "Pulumi.yaml"), project + resources);
  await pulumi("stack", "init", "test");
  for (const [k, v] of [
    ["netkit:host", host.host],
    ["netkit:port", String(host.port)],
    ["netkit:hostKey", host.knownHostsLine],
  ])
    await pulumi("config", "set", k!, v!);
  await pulumi("config", "set", "--secret", "netkit:privateKey", "--", host.privateKey);
  return { dir, pulumi, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
