// The linters as `npm run lint` runs them: ESLint (eslint.config.mjs: typescript-eslint,
// layers and import cycles) and `prettier --check` (.prettierrc.json). Any finding fails the
// unit tier, with the linter's own report as the message. `npm run format` fixes what can be
// fixed. The layer rules are also shown to catch what they are for, on code made up here.
//
// Both linters read the whole program (type-aware rules, layers, import cycles), so a pass holds
// for one set of inputs only: every file git does not ignore, byte for byte, and this Node. A
// pass is remembered under the hash of exactly those inputs (node_modules/.cache, so a fresh
// clone or install starts without); the same inputs again skip the run, any change runs it in full.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ESLint, type Linter } from "eslint";
import tseslint from "typescript-eslint";

const repoRoot = resolve(__dirname, "..", "..", "..");
const passes = join(repoRoot, "node_modules", ".cache", "netkit-lint");

/** Runs an installed package's command with this Node, in the repository root. */
function runBin(pkg: string, args: string[]): { code: number | null; output: string } {
  const manifest = require.resolve(`${pkg}/package.json`, { paths: [repoRoot] });
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: string | Record<string, string> };
  const script = join(dirname(manifest), typeof bin === "string" ? bin : bin[pkg]!);
  const r = spawnSync(process.execPath, [script, ...args], { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** The hash of every file git does not ignore (names and contents) and the Node version; undefined outside a git checkout. */
function inputsHash(): string | undefined {
  const r = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot });
  if (r.status !== 0) return undefined;
  const h = createHash("sha256").update(process.version);
  for (const f of r.stdout.toString().split("\0").filter(Boolean).sort()) {
    h.update(`\0${f}\0`);
    const p = join(repoRoot, f);
    h.update(existsSync(p) ? readFileSync(p) : "\0deleted\0");
  }
  return h.digest("hex").slice(0, 24);
}

/** Runs `check` unless it passed before on these exact inputs; records a pass. */
function unlessPassed(tool: string, hash: string | undefined, check: () => void): void {
  const marker = hash && join(passes, `${tool}-${hash}`);
  if (marker && existsSync(marker)) {
    console.log(`      ${tool}: passed on these exact inputs before (${hash}); not run again`);
    return;
  }
  check();
  if (marker) {
    mkdirSync(passes, { recursive: true });
    writeFileSync(marker, "");
  }
}

describe("unit: lint", function () {
  this.slow(60_000);
  this.timeout(300_000);
  let hash: string | undefined;

  before(() => {
    hash = inputsHash();
  });

  it("ESLint finds nothing (npm run format fixes some; see eslint.config.mjs)", () => {
    unlessPassed("eslint", hash, () => {
      const r = runBin("eslint", ["--max-warnings", "0", "."]);
      assert.equal(r.code, 0, `eslint exited ${r.code}:\n${r.output}`);
    });
  });

  it("prettier would change no file (npm run format)", () => {
    unlessPassed("prettier", hash, () => {
      const r = runBin("prettier", ["--check", "--log-level", "warn", "."]);
      assert.equal(r.code, 0, `prettier --check exited ${r.code}; files it would reformat:\n${r.output}`);
    });
  });
});

describe("unit: lint: layers point one way (eslint.config.mjs LAYERS, eslint/layers.mjs)", function () {
  this.timeout(60_000);

  /** ESLint with only the layer rules, as eslint.config.mjs sets them. */
  function layerLinter(): ESLint {
    /* eslint-disable @typescript-eslint/no-require-imports -- the config and the plugin are ES modules; Node loads them with require() */
    const { layerOptions } = require(join(repoRoot, "eslint.config.mjs")) as { layerOptions: unknown };
    const { layersPlugin } = require(join(repoRoot, "eslint", "layers.mjs")) as { layersPlugin: NonNullable<Linter.Config["plugins"]>[string] };
    /* eslint-enable @typescript-eslint/no-require-imports */
    return new ESLint({
      cwd: repoRoot,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ["**/*.ts"],
          languageOptions: { parser: tseslint.parser },
          plugins: { layers: layersPlugin },
          rules: { "layers/imports": ["error", layerOptions], "layers/no-cycle": ["error", layerOptions] },
        },
      ],
    });
  }

  /** The messages for `file` (repository-relative) with `line` added at its top. */
  async function findings(file: string, line: string): Promise<string[]> {
    const path = join(repoRoot, file);
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch {
      // a file that does not exist yet
    }
    const [r] = await layerLinter().lintText(`${line}\n${text}`, { filePath: path });
    return (r?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
  }

  it("the repository's own files pass (a control for the cases below)", async function () {
    assert.deepEqual(await findings("provider/ssh/argv.ts", ""), []);
  });

  it("an upward import fails, a type-only one too: ssh may not import the host layer", async function () {
    const found = await findings("provider/ssh/argv.ts", 'import type { HostClient } from "../host/client";');
    assert.ok(
      found.some((m) => m.startsWith("layers/imports: provider/ssh/argv.ts (layer ssh) may not import provider/host/client.ts (layer host)")),
      found.join("\n"),
    );
  });

  it("definitions know no host, and the codecs know each other not", async function () {
    assert.ok((await findings("provider/definition/field.ts", 'import type { HostFacts } from "../host/preflight";')).some((m) => m.startsWith("layers/imports:")));
    assert.ok((await findings("provider/bpf/syscall.ts", 'import type { NlMessage } from "../netlink/message";')).some((m) => m.startsWith("layers/imports:")));
  });

  it("bench and scripts import no test code", async function () {
    for (const file of ["bench/run.ts", "scripts/demo.ts"]) {
      const found = await findings(file, 'import { repoRoot } from "../test/support/netkit";');
      assert.ok(
        found.some((m) => m.includes("may not import test/support/netkit.ts (in no layer)")),
        `${file}: ${found.join("\n")}`,
      );
    }
  });

  it("a cycle of type-only imports fails, naming every file on it", async function () {
    const found = await findings("bench/plot.ts", 'import type { renderReport } from "./report";');
    assert.ok(
      found.some((m) => m.startsWith("layers/no-cycle: import cycle (type-only imports count): bench/plot.ts → bench/report.ts → ")),
      found.join("\n"),
    );
  });

  it("a file that no layer names fails", async function () {
    assert.deepEqual(await findings("provider/helpers.ts", ""), ["layers/imports: provider/helpers.ts belongs to no layer: add it to LAYERS in eslint.config.mjs"]);
  });
});
