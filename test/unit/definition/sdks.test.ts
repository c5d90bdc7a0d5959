// The Python and Go SDKs in sdk/python and sdk/go are what sdkgen generates from the schema the
// definitions render (as schema.json is what they render): generated again into a temporary
// directory, file for file. Also what users meet in them: the package and module names, the
// plugin release they ask for, the provider's config typed, the reference text as doc comments.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { packageVersion, renderSchema, repoRoot } from "../../../provider/artefacts";
import { GO_IMPORT, GO_MODULE, PYTHON_PACKAGE } from "../../../provider/definition/schema";
import { generateSdks, sdkgenBinary, SDK_LANGUAGES } from "../../../scripts/sdks";
import { skipBecause } from "../../support/skip";

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

/** The files of sdk/LANG a clone would hold: tracked and new ones, not what pip's builds leave (ignored). */
function checkedOut(lang: string): Map<string, string> {
  const dir = join(repoRoot, "sdk", lang);
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], { cwd: dir }).toString().split("\0").filter(Boolean);
  const out = new Map<string, string>();
  for (const f of listed) {
    try {
      out.set(f, readFileSync(join(dir, f), "utf8"));
    } catch {
      // deleted in the working tree
    }
  }
  return out;
}

const sdkFile = (lang: string, path: string) => readFileSync(join(repoRoot, "sdk", lang, path), "utf8");

describe("unit: the generated Python and Go SDKs", function () {
  this.timeout(120_000);

  it("sdk/python and sdk/go are what sdkgen generates from the definitions' schema (run `npm run gen`)", function () {
    const sdkgen = sdkgenBinary(repoRoot);
    if (!sdkgen) skipBecause(this, "no `go` command: the SDK generator (Go packages of pulumi/pkg) cannot be built here");
    const work = mkdtempSync(join(tmpdir(), "netkit-sdks-"));
    try {
      writeFileSync(join(work, "schema.json"), renderSchema());
      generateSdks(sdkgen, join(work, "schema.json"), join(work, "sdk"));
      for (const lang of SDK_LANGUAGES) {
        const want = files(join(work, "sdk", lang));
        const have = checkedOut(lang);
        const missing = [...want.keys()].filter((f) => !have.has(f));
        const extra = [...have.keys()].filter((f) => !want.has(f));
        const changed = [...want.keys()].filter((f) => have.has(f) && have.get(f) !== want.get(f));
        assert.deepEqual({ missing, extra, changed }, { missing: [], extra: [], changed: [] }, `sdk/${lang} drifted from the schema: run \`npm run gen\``);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("Python: package pulumi_netkit of this version (pyproject), asking for this plugin release", () => {
    const pyproject = sdkFile("python", "pyproject.toml");
    assert.match(pyproject, new RegExp(`^\\s*name = "${PYTHON_PACKAGE}"`, "m"));
    assert.match(pyproject, new RegExp(`^\\s*version = "${packageVersion()}"`, "m"));
    assert.match(pyproject, /"pulumi>=3\.\d+\.\d+,<4\.0\.0"/);
    const plugin = JSON.parse(sdkFile("python", `${PYTHON_PACKAGE}/pulumi-plugin.json`)) as Record<string, unknown>;
    assert.deepEqual(plugin, { resource: true, name: "netkit", version: packageVersion() });
  });

  it("Go: module path and package, asking for this plugin release", () => {
    assert.match(sdkFile("go", "go.mod"), new RegExp(`^module ${GO_MODULE}$`, "m"));
    assert.equal(GO_IMPORT, `${GO_MODULE}/netkit`);
    const plugin = JSON.parse(sdkFile("go", "netkit/pulumi-plugin.json")) as Record<string, unknown>;
    assert.deepEqual(plugin, { resource: true, name: "netkit", version: packageVersion() });
    assert.match(sdkFile("go", "netkit/internal/pulumiUtilities.go"), new RegExp(`semver\\.MustParse\\("${packageVersion().replace(/\./g, "\\.")}"\\)`));
  });

  it("the provider's config is typed in both (netkit:host, netkit:port, …), described as in the reference", () => {
    const schema = JSON.parse(renderSchema()) as { config: { variables: Record<string, { description: string }> } };
    const host = schema.config.variables.host!.description;
    const py = sdkFile("python", `${PYTHON_PACKAGE}/config/vars.py`);
    assert.match(py, /def host\(self\) -> Optional\[str\]:/);
    assert.match(py, /def port\(self\) -> int:/);
    assert.ok(py.includes(host), "the host config's description is its docstring");
    const go = sdkFile("go", "netkit/config/config.go");
    assert.match(go, /func GetHost\(ctx \*pulumi\.Context\) string/);
    assert.match(go, /func GetPort\(ctx \*pulumi\.Context\) int/);
    assert.ok(go.includes(`// ${host}`), "the host config's description is its doc comment");
  });

  it("every resource is a class (Python) and a type (Go) with its reference description", () => {
    const schema = JSON.parse(renderSchema()) as { resources: Record<string, { description: string }> };
    for (const [token, r] of Object.entries(schema.resources)) {
      const name = token.split(":")[2]!;
      const snake = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
      const firstLine = r.description.split("\n")[0]!;
      assert.match(sdkFile("python", `${PYTHON_PACKAGE}/${snake}.py`), new RegExp(`^class ${name}\\(pulumi\\.CustomResource\\):`, "m"));
      assert.ok(sdkFile("python", `${PYTHON_PACKAGE}/${snake}.py`).includes(firstLine), `${name}'s description in Python`);
      const go = sdkFile("go", `netkit/${name.charAt(0).toLowerCase()}${name.slice(1)}.go`);
      assert.match(go, new RegExp(`^type ${name} struct`, "m"));
      assert.ok(go.includes(`// ${firstLine}`), `${name}'s description in Go`);
    }
  });
});
