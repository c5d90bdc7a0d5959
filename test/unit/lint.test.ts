// The linters as `npm run lint` runs them: ESLint (eslint.config.mjs: typescript-eslint,
// import cycles) and `prettier --check` (.prettierrc.json). Any finding fails the unit tier,
// with the linter's own report as the message. `npm run format` fixes what can be fixed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const repoRoot = resolve(__dirname, "..", "..", "..");

/** Runs an installed package's command with this Node, in the repository root. */
function runBin(pkg: string, args: string[]): { code: number | null; output: string } {
  const manifest = require.resolve(`${pkg}/package.json`, { paths: [repoRoot] });
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: string | Record<string, string> };
  const script = join(dirname(manifest), typeof bin === "string" ? bin : bin[pkg]!);
  const r = spawnSync(process.execPath, [script, ...args], { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe("unit: lint", function () {
  this.slow(60_000);
  this.timeout(300_000);

  it("ESLint finds nothing (npm run format fixes some; see eslint.config.mjs)", () => {
    const r = runBin("eslint", ["--max-warnings", "0", "."]);
    assert.equal(r.code, 0, `eslint exited ${r.code}:\n${r.output}`);
  });

  it("prettier would change no file (npm run format)", () => {
    const r = runBin("prettier", ["--check", "--log-level", "warn", "."]);
    assert.equal(r.code, 0, `prettier --check exited ${r.code}; files it would reformat:\n${r.output}`);
  });
});
