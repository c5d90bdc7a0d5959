// Pulumi YAML projects driven through the real CLI (a separate process per command), using
// the provider plugin named in Pulumi.yaml, as README shows.
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { offlineEnv, pulumiCommand, repoRoot } from "./pulumi";
import type { TestHost } from "../testhost";

/** The host's connection as the default in stack config, as README sets it (`pulumi config set [--secret] netkit:…`). */
export function connectionConfig(host: TestHost): Record<string, { value: string; secret?: boolean }> {
  return {
    "netkit:host": { value: host.host },
    "netkit:port": { value: String(host.port) },
    "netkit:hostKey": { value: host.knownHostsLine },
    "netkit:privateKey": { value: host.privateKey, secret: true },
  };
}

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
  for (const [k, { value, secret }] of Object.entries(connectionConfig(host)))
    await (secret ? pulumi("config", "set", "--secret", k, "--", value) : pulumi("config", "set", k, value));
  return { dir, pulumi, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
