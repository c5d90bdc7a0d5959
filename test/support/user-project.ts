// Projects as a user has them: the package as `npm pack` ships it (packed from a copy of the
// checkout's files with nothing built, as a clean clone is), an example copied to a directory
// outside the repo, `npm install`ed there from the tarball and the npm registry, and the
// `pulumi` CLI run in that directory with only the CLI install and Node on PATH (no repo
// paths, no NETKIT_* variables): the language host and plugins are found the way an official
// install finds them.
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { offlineEnv, repoRoot } from "../../harness/pulumi";

const run = promisify(execFile);

/** Where the CLI install is (scripts/toolchain/cli.sh, exported by scripts/provision.sh). */
function cliBin(): string {
  const root = process.env.NETKIT_PULUMI_ROOT;
  if (!root) throw new Error("NETKIT_PULUMI_ROOT is not set: run the tests through `npm test`, which provisions the Pulumi CLI");
  return join(root, "bin");
}

/**
 * A user's environment: the machine's (certificates, proxies, HOME for npm), less what this
 * repo's test run adds to it (NETKIT_* variables, npm's npm_* of `npm test`, the repo's bin/
 * and tool paths on PATH): the CLI install and Node on PATH, the file backend of `dir`.
 */
export function userEnv(dir: string): NodeJS.ProcessEnv {
  const machine = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NETKIT_|npm_|PULUMI_)/i.test(k)));
  return {
    ...machine,
    PATH: [cliBin(), dirname(process.execPath), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":"),
    ...offlineEnv(dir),
  };
}

let packing: Promise<string> | undefined;

/**
 * `npm pack` of the package, once per test run, from a copy of the checkout's files (as a
 * clone of the working tree would have them) without dist/: the tarball must build itself
 * (prepack). Its node_modules is linked from the checkout so that the build needs no install.
 */
export function packedTarball(): Promise<string> {
  packing ??= (async () => {
    const work = mkdtempSync(join(tmpdir(), "netkit-pack-"));
    const src = join(work, "src");
    // What a clone of the working tree would hold: tracked files and new ones not ignored.
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot }).toString().split("\0").filter(Boolean);
    for (const f of files) {
      try {
        cpSync(join(repoRoot, f), join(src, f), { recursive: false });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e; // deleted in the working tree
      }
    }
    symlinkSync(join(repoRoot, "node_modules"), join(src, "node_modules"));
    const out = join(work, "out");
    mkdirSync(out);
    const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", out], {
      cwd: src,
      env: { ...process.env, npm_config_loglevel: "error" },
      maxBuffer: 16 << 20,
    }).catch((e: unknown) => {
      // execFile's rejection: an Error that carries the command's output.
      const failure: { message: string; stdout?: string; stderr?: string } = e instanceof Error ? e : { message: String(e) };
      throw new Error(`npm pack in a copy of the checkout failed: ${failure.message}\n${failure.stdout ?? ""}\n${failure.stderr ?? ""}`);
    });
    const name = stdout.trim().split("\n").pop() ?? "";
    const tgz = join(out, name);
    if (!readdirSync(out).includes(name)) throw new Error(`npm pack printed ${JSON.stringify(stdout)}, but ${out} has ${readdirSync(out).join(", ")}`);
    rmSync(src, { recursive: true, force: true });
    return tgz;
  })();
  return packing;
}

/** The files a tarball holds, as `tar -t` lists them (package/…). */
export function tarballFiles(tgz: string): string[] {
  return execFileSync("tar", ["-tzf", tgz]).toString().trim().split("\n").sort();
}

export interface UserProject {
  dir: string;
  /** `pulumi ARGS` in the project directory; its output, or an error with the output (never the command line's secrets). */
  pulumi: (...args: string[]) => Promise<string>;
  /** `npm ARGS` in the project directory. */
  npm: (...args: string[]) => Promise<string>;
  /** Runs `node -p EXPR` in the project directory (what its node_modules resolve to). */
  nodeEval: (expr: string) => Promise<string>;
  cleanup: () => void;
}

/** An example copied outside the repo, with `npm install` of the packed package (and `extra` packages). */
export async function userProject(example: string, extra: string[] = []): Promise<UserProject> {
  const dir = mkdtempSync(join(tmpdir(), `netkit-user-${example}-`));
  cpSync(join(repoRoot, "examples", example), dir, { recursive: true, filter: (p) => !/\/(node_modules|bin)$/.test(p) && !/Pulumi\.[^/]+\.yaml$/.test(p) });
  mkdirSync(join(dir, "state"));
  const env = userEnv(dir);
  const exec =
    (cmd: string) =>
    async (...args: string[]) => {
      try {
        const r = await run(cmd, args, { cwd: dir, env, maxBuffer: 32 << 20 });
        return r.stdout + r.stderr;
      } catch (e) {
        const x = e as { stdout?: string; stderr?: string; code?: number };
        // Arguments may hold the test host's key: name the command only.
        throw new Error(`\`${cmd} ${args.slice(0, 2).join(" ")}\` in ${dir} failed (exit ${x.code}):\n${x.stdout ?? ""}\n${x.stderr ?? ""}`);
      }
    };
  const npm = exec("npm");
  await npm("install", "--no-audit", "--no-fund", "--loglevel=error", await packedTarball(), ...extra);
  const pulumi = exec("pulumi");
  return {
    dir,
    pulumi: (...args) => pulumi("--non-interactive", ...args),
    npm,
    nodeEval: async (expr) => (await exec("node")("-p", expr)).trim(),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
