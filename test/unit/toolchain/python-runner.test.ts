// python-runner.py, the test language host's runner of Python programs, against a stand-in for
// the `pulumi` package that records what the runner hands it: the engine's settings (through
// pulumi.runtime.settings.reset_options), the program run inside the stack (run_in_stack), and
// the error it logs through the engine when the program fails. Exit 0 on success, 32 (bail)
// once the error is logged, 1 when the SDK is missing. The lifecycle tier runs real programs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runner = join(__dirname, "../../../scripts/toolchain/language-host/python-runner.py");

// The parts of the `pulumi` package the runner uses, each recording into $RECORD.
const FAKE_SDK: Record<string, string> = {
  "pulumi/__init__.py": `from . import log\nclass RunError(Exception):\n    pass\n`,
  "pulumi/_record.py": `import json, os\ndef record(key, value):\n    path = os.environ["RECORD"]\n    data = json.load(open(path)) if os.path.exists(path) else {}\n    data[key] = value\n    json.dump(data, open(path, "w"))\n`,
  "pulumi/log.py": `from ._record import record\ndef error(msg):\n    record("logged", msg)\n`,
  "pulumi/runtime/__init__.py": ``,
  "pulumi/runtime/settings.py": `from .._record import record\ndef reset_options(**kw):\n    record("settings", kw)\n`,
  "pulumi/runtime/stack.py": `from .._record import record\nasync def run_in_stack(func):\n    record("in_stack", True)\n    func()\n`,
};

const PROGRAM = `import os, sys
from pulumi._record import record
record("program", {"argv": sys.argv, "cwd": os.getcwd(), "name": __name__})
mode = sys.argv[1]
if mode == "raise":
    raise ValueError("boom")
if mode == "runerror":
    import pulumi
    raise pulumi.RunError("declared wrong")
`;

describe("unit: toolchain/language-host/python-runner.py", function () {
  this.timeout(30_000);
  let tmp: string;
  let sdk: string;
  let program: string;

  before(function () {
    tmp = mkdtempSync(join(tmpdir(), "py-runner-"));
    sdk = join(tmp, "site");
    for (const [file, text] of Object.entries(FAKE_SDK)) {
      mkdirSync(join(sdk, file, ".."), { recursive: true });
      writeFileSync(join(sdk, file), text);
    }
    program = join(tmp, "program");
    mkdirSync(program);
    writeFileSync(join(program, "__main__.py"), PROGRAM);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const run = (tag: string, mode: string, withSdk = true) => {
    const record = join(tmp, `${tag}.json`);
    const args = [runner, "--monitor", "127.0.0.1:9", "--engine", "127.0.0.1:1", "--project", "proj", "--stack", "dev"];
    args.push("--organization", "org", "--root-directory", tmp, "--parallel", "4", "--dry-run", program, mode);
    // -S: no site-packages, so that a `pulumi` installed for the machine's python3 is not found either.
    const r = spawnSync("python3", [...(withSdk ? [] : ["-S"]), ...args], { cwd: tmp, encoding: "utf8", env: { ...process.env, RECORD: record, PYTHONPATH: withSdk ? sdk : "" } });
    let rec: Record<string, unknown> = {};
    try {
      rec = JSON.parse(readFileSync(record, "utf8")) as Record<string, unknown>;
    } catch {
      // nothing recorded
    }
    return { code: r.status, stderr: r.stderr, rec };
  };

  it("hands the engine's settings to the SDK and runs __main__.py inside the stack, as `python PROGRAM ARGS` would; exit 0", function () {
    const { code, stderr, rec } = run("ok", "ok");
    assert.equal(code, 0, stderr);
    assert.deepEqual(rec.settings, {
      project: "proj",
      stack: "dev",
      root_directory: tmp,
      parallel: 4,
      engine_address: "127.0.0.1:1",
      monitor_address: "127.0.0.1:9",
      preview: true,
      organization: "org",
    });
    assert.equal(rec.in_stack, true);
    assert.deepEqual(rec.program, { argv: [program, "ok"], cwd: program, name: "__main__" });
    assert.equal(rec.logged, undefined);
  });

  it("a program's exception is logged through the engine with its traceback; exit 32 (bail)", function () {
    const { code, rec } = run("raise", "raise");
    assert.equal(code, 32);
    assert.match(String(rec.logged), /Program failed with an unhandled exception:[\s\S]*ValueError: boom/);
  });

  it("a RunError is logged as its message alone; exit 32", function () {
    const { code, rec } = run("runerror", "runerror");
    assert.equal(code, 32);
    assert.equal(rec.logged, "declared wrong");
  });

  it("without the SDK installed for that interpreter: exit 1 with a message that says to install it", function () {
    const { code, stderr } = run("nosdk", "ok", false);
    assert.equal(code, 1);
    assert.match(stderr, /The Pulumi SDK for Python is not installed for .*: install the program's packages \(pip install\) into its virtualenv/);
  });
});
