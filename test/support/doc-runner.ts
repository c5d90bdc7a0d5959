// Runs a runnable page (doc-pages.ts) as a user follows it: its shell blocks in order in one
// terminal's worth of state (the current directory carries over), in a throw-away HOME whose
// ~/.ssh/id_ed25519 is the test host's key, with `pulumi`, `node`, `python3` and `go` on PATH
// and nothing of this repository; its host blocks as root on the test host over SSH; its file blocks
// written where it says. The test host answers on port 22 of a loopback address of its own,
// which replaces the address the page states for "your host". A block that fails fails its
// test, named by page and line; the blocks after it fail as not run.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { TestHost } from "../../testhost";
import { linkNames } from "./netkit";
import { addNetdevsim, removeNetdevsim } from "./netdevsim";
import { loadProgram, NETKIT_PASS } from "./bpf";
import { onHost } from "./shared-host";
import { netkitIp } from "./plugin";
import { repoRoot } from "../../harness/pulumi";
import { packedTarball, pluginArchive, toolDirs } from "./user-project";
import { substitute, type DocBlock, type DocPage, type Given } from "./doc-pages";

/** What a check hung on a block (`id=NAME`) gets: the block's output and where the page is. */
export interface BlockRun {
  output: string;
  cwd: string;
  env: DocEnvironment;
  /** Runs a command in the page's terminal (same HOME, PATH and directory), for assertions. */
  sh: (script: string) => Promise<string>;
}
export type BlockCheck = (run: BlockRun) => Promise<void>;

/** One throw-away HOME and the test host behind the address pages name, for a test run. */
export interface DocEnvironment {
  home: string;
  host: TestHost;
  /** The loopback address whose port 22 is the test host's sshd. */
  address: string;
  env: NodeJS.ProcessEnv;
}

/** Where the CLI install is (scripts/toolchain/cli.sh, exported by scripts/provision.sh). */
function cliBin(): string {
  const root = process.env.NETKIT_PULUMI_ROOT;
  if (!root) throw new Error("NETKIT_PULUMI_ROOT is not set: run the tests through `npm test`, which provisions the Pulumi CLI");
  return join(root, "bin");
}

/** A loopback address whose port 22 nothing holds, forwarded to the test host's sshd. */
async function port22Endpoint(host: TestHost): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const address = `127.${20 + Math.floor(Math.random() * 200)}.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    const free = await new Promise<boolean>((res) => {
      const srv = createServer();
      srv.once("error", () => res(false));
      srv.listen(22, address, () => srv.close(() => res(true)));
    });
    if (!free) continue;
    try {
      await host.forwardSsh(address, 22);
      return address;
    } catch (e) {
      if (attempt >= 5) throw e;
    }
  }
}

/**
 * The machine's Python and Go setup, as a user's HOME has it: pip reads the provisioned
 * wheelhouse (scripts/toolchain/python.sh) instead of the package index, and `go` the module
 * and build caches go-modules.sh filled (the throw-away HOME would otherwise start both empty,
 * and a Go program's first build would compile the Pulumi SDK from scratch).
 */
function pythonAndGo(): NodeJS.ProcessEnv {
  const wheels = process.env.NETKIT_PY_WHEELS;
  if (!wheels) throw new Error("NETKIT_PY_WHEELS is not set: run the tests through `npm test`, which provisions the Python packages");
  const go = JSON.parse(execFileSync("go", ["env", "-json", "GOMODCACHE", "GOCACHE"]).toString()) as { GOMODCACHE: string; GOCACHE: string };
  return { PIP_NO_INDEX: "1", PIP_FIND_LINKS: wheels, PIP_DISABLE_PIP_VERSION_CHECK: "1", GOMODCACHE: go.GOMODCACHE, GOCACHE: go.GOCACHE };
}

let environment: Promise<DocEnvironment> | undefined;

/** The run's environment, made once: HOME with the key, npm's cache and config, a file backend. */
export function docEnvironment(host: TestHost): Promise<DocEnvironment> {
  environment ??= (async () => {
    const home = mkdtempSync(join(tmpdir(), "netkit-docs-home-"));
    mkdirSync(join(home, ".ssh"), { mode: 0o700 });
    writeFileSync(join(home, ".ssh", "id_ed25519"), host.privateKey, { mode: 0o600 });
    // The machine's npm setup (its cache, so installs are warm, and its registry config).
    const realHome = homedir();
    const npmCache = process.env.npm_config_cache ?? join(realHome, ".npm");
    if (existsSync(npmCache)) symlinkSync(npmCache, join(home, ".npm"));
    if (existsSync(join(realHome, ".npmrc"))) copyFileSync(join(realHome, ".npmrc"), join(home, ".npmrc"));
    const address = await port22Endpoint(host);
    const machine = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NETKIT_|npm_|PULUMI_|HOME$|PATH$|PWD$|OLDPWD$)/i.test(k)));
    const env: NodeJS.ProcessEnv = {
      ...machine,
      ...pythonAndGo(),
      HOME: home,
      PATH: [cliBin(), dirname(process.execPath), ...toolDirs(), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].join(":"),
      // The user's Pulumi login: a local backend with an empty passphrase, and a yes to
      // every confirmation prompt (`pulumi up` asks before it changes anything).
      PULUMI_BACKEND_URL: `file://${join(home, ".pulumi-state")}`,
      // The user's ~/.pulumi (the plugin cache `pulumi plugin install` fills): the CLI finds
      // its home from the password database, not HOME, and would use this machine's.
      PULUMI_HOME: join(home, ".pulumi"),
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    mkdirSync(join(home, ".pulumi-state"));
    return { home, host, address, env };
  })();
  return environment;
}

export function removeDocEnvironment(): void {
  const e = environment;
  environment = undefined;
  void e?.then((d) => rmSync(d.home, { recursive: true, force: true }));
}

const BLOCK_TIMEOUT_MS = 15 * 60_000;

/** Runs a shell script in the page's terminal; resolves with its exit code, output and final directory. */
function runShell(env: DocEnvironment, cwd: string, script: string): Promise<{ code: number; output: string; cwd: string }> {
  const cwdFile = join(env.home, ".doc-cwd");
  rmSync(cwdFile, { force: true });
  const full = `set -eo pipefail\ncd ${JSON.stringify(cwd)}\n${script}\npwd > ${JSON.stringify(cwdFile)}\n`;
  return new Promise((res, rej) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-c", full], { env: env.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      output += `\n[killed after ${BLOCK_TIMEOUT_MS / 1000} s]`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone already
      }
    }, BLOCK_TIMEOUT_MS);
    child.on("error", rej);
    child.on("close", (code) => {
      clearTimeout(timer);
      const next = existsSync(cwdFile) ? readFileSync(cwdFile, "utf8").trim() : cwd;
      res({ code: code ?? -1, output, cwd: next });
    });
  });
}

/**
 * Host blocks find a netkit-aware `ip` first (iproute2 6.15, scripts/toolchain/iproute2.sh, as
 * plugin.ts's netkitIp copies it to the host): the test host's userland is this machine's
 * Debian 12, whose iproute2 6.1 predates netkit, while a netkit host has its own newer one.
 */
async function hostPath(host: TestHost): Promise<string> {
  const ip = await netkitIp(host);
  return `mkdir -p /tmp/netkit-iproute2 && ln -sf ${ip} /tmp/netkit-iproute2/ip && export PATH=/tmp/netkit-iproute2:"$PATH"\n`;
}

function tail(text: string, lines = 60): string {
  const all = text.trimEnd().split("\n");
  return (all.length > lines ? ["…", ...all.slice(-lines)] : all).join("\n");
}

/** What a page's run keeps between its blocks. */
interface PageState {
  cwd: string;
  /** Directories holding a Pulumi.yaml that the page's commands ran in: destroyed afterwards. */
  projects: Set<string>;
  failed?: string;
}

/** Runs one block; throws naming page and line when it does not do what the page says. */
async function runBlock(page: DocPage, block: DocBlock, env: DocEnvironment, state: PageState): Promise<string> {
  const where = `${page.path}:${block.line}`;
  const text = substitute(page, block.text, env.address);
  // What the block must print names the host as the block does.
  block = { ...block };
  if (block.fails !== undefined) block.fails = substitute(page, block.fails, env.address);
  if (block.expect !== undefined) block.expect = substitute(page, block.expect, env.address);
  switch (block.role) {
    case "file": {
      const target = resolve(state.cwd, block.file!);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      return "";
    }
    case "host": {
      const r = await onHost(env.host, ["bash", "-eo", "pipefail", "-c", `${await hostPath(env.host)}${text}`]);
      const output = r.stdout.toString() + r.stderr.toString();
      check(where, block, r.exitCode ?? -1, output, "on the host");
      return output;
    }
    case "shell": {
      const r = await runShell(env, state.cwd, text);
      state.cwd = r.cwd;
      if (existsSync(join(r.cwd, "Pulumi.yaml"))) state.projects.add(r.cwd);
      check(where, block, r.code, r.output, "");
      return r.output;
    }
    default:
      return "";
  }
}

function check(where: string, block: DocBlock, code: number, output: string, place: string): void {
  const shown = `\n--- the block ---\n${block.text.trimEnd()}\n--- its output ---\n${tail(output)}`;
  if (block.fails !== undefined) {
    if (code === 0) throw new Error(`${where}: the block must fail${place ? ` ${place}` : ""} (fails="${block.fails}"), but it exited 0${shown}`);
    if (!output.includes(block.fails)) throw new Error(`${where}: the block failed, but its output lacks "${block.fails}"${shown}`);
    return;
  }
  if (code !== 0) throw new Error(`${where}: the block exited ${code}${place ? ` ${place}` : ""}${shown}`);
  if (block.expect !== undefined && !output.includes(block.expect)) throw new Error(`${where}: the block's output lacks "${block.expect}"${shown}`);
}

/** What `npm pack` of this version writes. */
const TARBALL = `pulumi-netkit-${(JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version}.tgz`;

/** The tarball README's install step made in the run's checkout, else one packed for the run. */
async function anyTarball(home: string): Promise<string> {
  const made = join(home, "src", "pulumi-netkit", TARBALL);
  return existsSync(made) ? made : packedTarball();
}

/** Copies the working tree as a clone of it has it (tracked and new files, nothing ignored). */
function copyCheckout(target: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot }).toString().split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(repoRoot, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(target, f)), { recursive: true });
    copyFileSync(join(repoRoot, f), join(target, f));
  }
}

/** Writes Pulumi's TypeScript template (test/fixtures/pulumi-template-typescript) into dir as `pulumi new` does. */
function writeTemplate(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const from = join(repoRoot, "test", "fixtures", "pulumi-template-typescript");
  cpSync(from, dir, { recursive: true });
  for (const f of ["Pulumi.yaml", "package.json"]) {
    const p = join(dir, f);
    writeFileSync(p, readFileSync(p, "utf8").replaceAll("${PROJECT}", basename(dir)).replaceAll("${DESCRIPTION}", "A minimal TypeScript Pulumi program"));
  }
}

/** Makes a given true; returns the directory the page starts in when the given sets one, and how to undo it. */
async function provide(g: Given, env: DocEnvironment, sh: (cwd: string, script: string) => Promise<string>): Promise<{ cwd?: string; undo?: () => Promise<void> }> {
  const home = env.home;
  switch (g.kind) {
    case "checkout": {
      const dir = g.path.replace(/^~(?=\/|$)/, home);
      if (!existsSync(join(dir, "package.json"))) copyCheckout(dir);
      // The tarball README's install step makes there (when README ran first in this HOME, its own).
      if (g.packed && !existsSync(join(dir, TARBALL))) copyFileSync(await packedTarball(), join(dir, TARBALL));
      // The plugin archives `npm run pack:plugin` makes there (scripts/plugin-archive.ts), both architectures.
      if (g.plugin) {
        const made = dirname(await pluginArchive());
        mkdirSync(join(dir, "dist", "plugin"), { recursive: true });
        for (const f of readdirSync(made)) if (!existsSync(join(dir, "dist", "plugin", f))) copyFileSync(join(made, f), join(dir, "dist", "plugin", f));
      }
      return {};
    }
    case "template": {
      const dir = join(home, "pods");
      writeTemplate(dir);
      await sh(dir, "npm install --no-audit --no-fund --loglevel=error && pulumi stack init dev");
      return { cwd: dir };
    }
    case "stack": {
      // Afresh for each page: the template's files (or a bare Pulumi.yaml), the package, and a
      // new stack configured as README's first stack does it.
      const dir = join(home, g.project);
      mkdirSync(dir, { recursive: true });
      const installed = existsSync(join(dir, "node_modules", "pulumi-netkit"));
      if (g.runtime === "typescript") writeTemplate(dir);
      else writeFileSync(join(dir, "Pulumi.yaml"), `name: ${g.project}\nruntime: yaml\nplugins:\n  providers:\n    - name: netkit\n      path: ./node_modules/pulumi-netkit/bin\n`);
      await sh(
        dir,
        [
          installed ? "pulumi stack rm --yes --force dev >/dev/null 2>&1 || true" : `npm install --no-audit --no-fund --loglevel=error ${JSON.stringify(await anyTarball(home))}`,
          "pulumi stack init dev",
          `pulumi config set netkit:host ${env.address}`,
          `pulumi config set netkit:hostKey "$(ssh-keyscan -t ed25519 ${env.address} 2>/dev/null)"`,
          "pulumi config set --secret netkit:privateKey < ~/.ssh/id_ed25519",
        ].join("\n"),
      );
      return { cwd: dir };
    }
    case "nic": {
      const id = 7600 + Math.floor(Math.random() * 300);
      await addNetdevsim(env.host, id, g.queues, g.name);
      return { undo: () => removeNetdevsim(env.host, id) };
    }
    case "program":
      await loadProgram(env.host, g.pin, NETKIT_PASS, "doc_prog");
      return { undo: async () => void (await onHost(env.host, ["rm", "-f", g.pin])) };
  }
}

async function netnsNames(host: TestHost): Promise<string[]> {
  const r = await onHost(host, ["sh", "-c", "ls /run/netns 2>/dev/null || true"]);
  return r.stdout.toString().split(/\s+/).filter(Boolean).sort();
}

/**
 * Declares a page's tests: one per runnable block, in order, then one that the page left the
 * host as it found it. `checks` hang assertions on blocks by id (each id must be on the page).
 */
export function describePage(page: DocPage, hostOf: () => Promise<TestHost>, checks: Record<string, BlockCheck> = {}): void {
  describe(page.path, function () {
    let env: DocEnvironment;
    const state: PageState = { cwd: "", projects: new Set() };
    const undo: Array<() => Promise<void>> = [];
    // Givens that set the directory, by the line of their comment: applied when the run gets there.
    const moves: Array<{ line: number; cwd: string }> = [];
    let links: string[] = [];
    let netns: string[] = [];
    const sh = async (cwd: string, script: string) => {
      const r = await runShell(env, cwd, script);
      if (r.code !== 0) throw new Error(`in ${cwd}: \`${script.split("\n")[0]}\` … exited ${r.code}:\n${tail(r.output)}`);
      return r.output;
    };

    before(async function () {
      assert.deepEqual(page.problems, [], "the page follows the conventions of runnable pages (CONTRIBUTING.md)");
      const ids = new Set(page.blocks.map((b) => b.id).filter(Boolean));
      for (const id of Object.keys(checks)) assert.ok(ids.has(id), `${page.path} has a block with id=${id} for the tests' checks`);
      env = await docEnvironment(await hostOf());
      links = await linkNames(env.host);
      netns = await netnsNames(env.host);
      state.cwd = env.home;
      // Each page starts as a fresh terminal of a user who has trusted no host yet.
      rmSync(join(env.home, ".ssh", "known_hosts"), { force: true });
      for (const g of page.givens) {
        const r = await provide(g, env, sh);
        if (r.cwd) {
          moves.push({ line: g.line, cwd: r.cwd });
          state.projects.add(r.cwd);
        }
        if (r.undo) undo.push(r.undo);
      }
      for (const b of page.blocks) if (b.role === "norun") console.log(`      not run: ${page.path}:${b.line} (${b.lang}): ${b.reason}`);
    });

    for (const block of page.blocks) {
      if (block.role === "inert" || block.role === "norun") continue;
      const first = block.text.split("\n").find((l) => l.trim() && !l.trim().startsWith("#")) ?? "";
      const what = block.role === "file" ? `writes ${block.file}` : block.role === "host" ? `on the host: ${first.trim()}` : first.trim();
      it(`${page.path}:${block.line} ${what.length > 90 ? `${what.slice(0, 87)}…` : what}`, async function () {
        if (state.failed) throw new Error(`${page.path}:${block.line}: not run: ${state.failed} failed before it`);
        while (moves.length > 0 && moves[0]!.line < block.line) state.cwd = moves.shift()!.cwd;
        try {
          const output = await runBlock(page, block, env, state);
          const c = block.id ? checks[block.id] : undefined;
          if (c) await c({ output, cwd: state.cwd, env, sh: (s) => sh(state.cwd, s) });
        } catch (e) {
          state.failed = `${page.path}:${block.line}`;
          throw e;
        }
      });
    }

    it(`${page.path}: leaves the test host as it found it`, async function () {
      // What a page left running is destroyed here, so that one page's failure leaks nothing
      // into the next; a page that ends with its own `pulumi destroy` makes this a no-op.
      const problems: string[] = [];
      for (const dir of state.projects) {
        const r = await runShell(env, dir, "pulumi stack ls --json");
        const stacks = r.code === 0 ? (JSON.parse(r.output.slice(r.output.indexOf("["))) as Array<{ name: string; resourceCount?: number; lastUpdate?: string }>) : [];
        for (const s of stacks) {
          // Nothing to destroy: the page's own destroy emptied it, or it never had an update.
          if (s.resourceCount === 0 || (s.resourceCount === undefined && s.lastUpdate === undefined)) continue;
          await runShell(env, dir, `pulumi state unprotect --all --yes --stack ${s.name}`);
          const d = await runShell(env, dir, `pulumi destroy --yes --stack ${s.name}`);
          if (d.code !== 0) problems.push(`pulumi destroy in ${dir}: ${tail(d.output, 20)}`);
        }
      }
      for (const ns of await netnsNames(env.host)) if (!netns.includes(ns)) await onHost(env.host, ["ip", "netns", "del", ns]);
      for (const u of undo.reverse()) await u();
      assert.deepEqual(problems, []);
      assert.deepEqual(await linkNames(env.host), links, "the host's devices are what they were before the page");
    });
  });
}
