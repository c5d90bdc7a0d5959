// The test runner behind `npm test` (test/support/runner.ts, worker.ts, budget.ts), run on
// small test files written here: every file's tests are counted in the closing line CI reads,
// a failure anywhere fails the run, skips name their reason, --grep picks tests, a worker that
// dies fails its file and the rest still run, files in one worker share its modules (and so its
// test host) and two workers do not, and the time budget names the slow files and tests.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { budgetReport } from "../../support/budget";

const runner = resolve(__dirname, "..", "..", "support", "runner.js");
const skipModule = resolve(__dirname, "..", "..", "support", "skip.js");

describe("unit: the test runner (npm test)", function () {
  this.timeout(60_000);
  let dir: string;
  const file = (rel: string, body: string) => {
    const p = join(dir, rel);
    mkdirSync(resolve(p, ".."), { recursive: true });
    writeFileSync(p, body);
    return p;
  };
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [runner, ...args], { encoding: "utf8", env: { ...process.env, NETKIT_CACHE: join(dir, "cache"), NETKIT_STEP_TIMES: "" } });
    return { code: r.status, out: r.stdout + r.stderr, last: r.stdout.trimEnd().split("\n").pop() };
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "netkit-runner-"));
    // A module both workers load: it counts the files that ran in its process.
    file("shared.js", `let n = 0; exports.next = () => ++n; exports.pid = process.pid;`);
    for (const name of ["a", "b", "c"]) {
      file(
        `test/alpha/${name}.test.js`,
        `const s = require("../../shared.js");
         describe("${name}", () => {
           it("passes", () => console.log("RAN ${name} in " + s.pid + " as file " + s.next()));
           it("takes a while", async () => new Promise((r) => setTimeout(r, 300)));
         });`,
      );
    }
    file("test/beta/fail.test.js", `describe("beta", () => { it("fails", () => { throw new Error("BOOM"); }); it("passes", () => {}); });`);
    file(
      "test/beta/skip.test.js",
      `const { skipBecause } = require(${JSON.stringify(skipModule)});
       describe("beta skips", () => { it("needs a thing", function () { skipBecause(this, "no such thing here"); }); });`,
    );
    file("test/beta/dies.test.js", `describe("dies", () => { it("exits the process", () => { process.exit(7); }); });`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("runs every file, counts every test in the closing line, and fails the run on one failure", () => {
    const r = run("--jobs", "2", ...["a", "b", "c"].map((n) => join(dir, `test/alpha/${n}.test.js`)), join(dir, "test/beta/fail.test.js"));
    assert.equal(r.last, "tests: 7 passed, 1 failed, 0 skipped", r.out);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /BOOM/);
    assert.match(r.out, /alpha +6 passed, 0 failed, 0 skipped/);
    assert.match(r.out, /beta +1 passed, 1 failed, 0 skipped/);
    assert.match(r.out, /failed in: .*test\/beta\/fail\.test\.ts/);
  });

  let passing: ReturnType<typeof run>;
  const passingRun = () => (passing ??= run("--jobs", "2", ...["a", "b", "c"].map((n) => join(dir, `test/alpha/${n}.test.js`))));

  it("a passing run exits 0; files in one worker share its modules, two workers do not", () => {
    const r = passingRun();
    assert.equal(r.code, 0, r.out);
    assert.equal(r.last, "tests: 6 passed, 0 failed, 0 skipped", r.out);
    const ran = [...r.out.matchAll(/RAN (\w) in (\d+) as file (\d+)/g)].map((m) => ({ pid: m[2]!, nth: Number(m[3]) }));
    assert.equal(ran.length, 3, r.out);
    const pids = new Set(ran.map((x) => x.pid));
    assert.equal(pids.size, 2, `three files over two workers use two processes:\n${r.out}`);
    // The worker that ran two files kept the module loaded by the first.
    for (const pid of pids) {
      const nths = ran.filter((x) => x.pid === pid).map((x) => x.nth);
      assert.deepEqual(
        nths.sort(),
        nths.map((_, i) => i + 1),
        r.out,
      );
    }
  });

  it("a skip is counted and named with its reason", () => {
    const r = run(join(dir, "test/beta/skip.test.js"));
    assert.equal(r.last, "tests: 0 passed, 0 failed, 1 skipped", r.out);
    assert.match(r.out, /skipped: beta skips needs a thing — no such thing here/);
    assert.equal(r.code, 0, r.out);
  });

  it("--grep runs only the tests whose title matches", () => {
    const r = run("--grep", "takes a", ...["a", "b"].map((n) => join(dir, `test/alpha/${n}.test.js`)));
    assert.equal(r.last, "tests: 2 passed, 0 failed, 0 skipped", r.out);
    assert.doesNotMatch(r.out, /RAN/);
  });

  it("a worker that dies fails its file, and the files after it still run", () => {
    const r = run("--jobs", "1", join(dir, "test/beta/dies.test.js"), join(dir, "test/alpha/a.test.js"));
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /the worker running this file exited \(code 7\)/);
    assert.match(r.out, /RAN a/);
    assert.equal(r.last, "tests: 2 passed, 1 failed, 0 skipped", r.out);
  });

  it("each file is one provider run: it finds no host client and no lease claim the file before it left", () => {
    const dist = resolve(__dirname, "..", "..", "..", "provider");
    const modules = `const runtime = require(${JSON.stringify(join(dist, "runtime.js"))});
       const claims = require(${JSON.stringify(join(dist, "resources", "leases", "claims.js"))});
       const { silentLogger } = require(${JSON.stringify(join(dist, "log.js"))});
       const owner = { urn: "urn:pulumi:dev::p::netkit:RxqBinding::b", endpoint: "root@h:22" };`;
    // The first file is the larger: of two files of one tier, the runner starts the larger first.
    file(
      "test/run/first.test.js",
      `${modules}
       describe("first", () => it("leaves a host pool and a claim", () => {
         global.firstPool = runtime.hostPool(silentLogger);
         claims.claimQueues("root@h:22", "urn:pulumi:dev::p::netkit:RxqBinding::a", [{ nic: "eth0", queue: 1, field: "nicQueue" }]);
         if (!claims.otherClaimant(owner, "eth0", 1)) throw new Error("the claim was not made");
       }));
       // padding: this file is the larger of the two, so that it runs first ...........................`,
    );
    file(
      "test/run/second.test.js",
      `${modules}
       describe("second", () => it("finds neither", () => {
         if (runtime.hostPool(silentLogger) === global.firstPool) throw new Error("the first file's host pool was kept");
         if (claims.otherClaimant(owner, "eth0", 1)) throw new Error("the first file's claim was kept");
       }));`,
    );
    const r = run("--jobs", "1", join(dir, "test/run/second.test.js"), join(dir, "test/run/first.test.js"));
    assert.ok(r.out.indexOf("run/first.test.ts") < r.out.indexOf("run/second.test.ts"), r.out);
    assert.equal(r.last, "tests: 2 passed, 0 failed, 0 skipped", r.out);
  });

  it("ends with the time budget: per tier, the files above the threshold and the slowest tests", () => {
    const r = passingRun();
    assert.match(r.out, /== time budget ==/);
    assert.match(r.out, /tests +\d+\.\d s wall, 2 workers/);
    assert.match(r.out, /alpha +span +\d+\.\d s +files +\d+\.\d s +CPU +\d+\.\d s +3 files, 6 tests/);
    assert.match(r.out, /CPU \d+\.\d s: \d+\.\d\d cores busy on average/);
    assert.match(r.out, /machine load \(1 min\) \d+\.\d at the start, \d+\.\d at the end/);
    assert.match(r.out, /\d+\.\d s +.*alpha\/[abc]\.test\.ts: [abc] takes a while/);
  });
});

describe("unit: the time budget report", () => {
  const report = budgetReport({
    steps: [
      { name: "build", ms: 3200 },
      { name: "test-host kernel", ms: 100 },
      { name: "pulumi CLI", ms: 480_000, parallel: true },
    ],
    tierOrder: ["unit", "lifecycle"],
    files: [
      { file: "test/lifecycle/slow.test.ts", tier: "lifecycle", startMs: 0, endMs: 95_000, failures: 0, cpuMs: 80_000 },
      { file: "test/unit/quick.test.ts", tier: "unit", startMs: 0, endMs: 2_000, failures: 0, cpuMs: 1_500 },
      { file: "test/unit/other.test.ts", tier: "unit", startMs: 2_000, endMs: 12_500, failures: 1, cpuMs: 10_000 },
    ],
    tests: [
      { file: "test/lifecycle/slow.test.ts", tier: "lifecycle", title: "up", outcome: "passed", ms: 60_000 },
      { file: "test/unit/quick.test.ts", tier: "unit", title: "q", outcome: "passed", ms: 5 },
      { file: "test/unit/other.test.ts", tier: "unit", title: "o", outcome: "failed", ms: 10 },
      { file: "test/unit/other.test.ts", tier: "unit", title: "s", outcome: "skipped", ms: 0 },
    ],
    hooks: [{ file: "test/lifecycle/slow.test.ts", title: '"before all" hook', ms: 30_000 }],
    skips: [{ title: "s", reason: "no netkit" }],
    wallMs: 96_000,
    load: { start: 1.25, end: 2 },
    workers: 2,
    fileThresholdMs: 10_000,
    slowest: 2,
  });
  const text = report.join("\n");

  it("gives provisioning by step (the parts built in parallel apart), the tests' wall and CPU time, the machine's load and the total", () => {
    assert.match(text, /provisioning +3\.3 s: build 3\.2 s, test-host kernel 0\.1 s\n +built beside them: pulumi CLI 480\.0 s\n/);
    assert.match(text, /tests +96\.0 s wall, 2 workers \(the files' own times add up to 107\.5 s\)\n +CPU 91\.5 s: 0\.95 cores busy on average/);
    assert.match(text, /machine load \(1 min\) 1\.3 at the start, 2\.0 at the end/);
    assert.match(text, /total +99\.3 s/);
  });

  it("gives each tier in run order with its span and its files' time", () => {
    const unit = report.findIndex((l) => /^ +unit +span/.test(l));
    const lifecycle = report.findIndex((l) => /^ +lifecycle +span/.test(l));
    assert.ok(unit > 0 && lifecycle > unit, text);
    assert.match(report[unit]!, /span +12\.5 s +files +12\.5 s +CPU +11\.5 s +2 files, 3 tests/);
    assert.match(report[lifecycle]!, /span +95\.0 s +files +95\.0 s +CPU +80\.0 s +1 file, 1 tests/);
  });

  it("names the files above the threshold, slowest first, and the slowest tests and hooks", () => {
    const files = report.slice(report.findIndex((l) => l.includes("files over 10.0 s")) + 1).filter((l) => /^ +\d+\.\d s {2}test\//.test(l));
    assert.deepEqual(
      files.slice(0, 2).map((l) => l.trim()),
      ["95.0 s  test/lifecycle/slow.test.ts  (CPU 80.0 s)", "10.5 s  test/unit/other.test.ts  (CPU 10.0 s)"],
    );
    assert.doesNotMatch(text, /\d s {2}test\/unit\/quick\.test\.ts/);
    assert.match(text, /slowest tests and hooks\n +60\.0 s {2}test\/lifecycle\/slow\.test\.ts: up\n +30\.0 s {2}test\/lifecycle\/slow\.test\.ts: "before all" hook\n\n/);
  });

  it("ends with the per-tier counts, the skips with their reasons, and the line CI reads", () => {
    assert.match(text, /unit +1 passed, 1 failed, 1 skipped/);
    assert.match(text, /failed in: test\/unit\/other\.test\.ts/);
    assert.match(text, /skipped: s — no netkit/);
    assert.equal(report.at(-1), "tests: 2 passed, 1 failed, 1 skipped");
  });
});
