// The test runner behind `npm test` (scripts/test.sh builds, provisions and starts it): runs the
// given test files in worker processes (worker.ts), each file whole in one worker, the longest
// files first so that the short ones fill in beside them; prints each file's spec output when it
// ends; and closes with the time budget and the per-tier summary (budget.ts).
//
//   node dist/test/support/runner.js [--jobs N] [--grep RE | --fgrep S] [--invert] [--bail]
//        [--timeout MS] [--slow MS] [--tiers a,b,…] [--shared-host-tiers a,b,…] FILE.js…
//
// Each worker keeps its own test hosts for every file it runs (shared-host.ts): files in one
// worker share a host one after another, as they always did in one process; files in two
// workers never share one.
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir, loadavg } from "node:os";
import { join, relative, resolve } from "node:path";
import { budgetReport, tierOf, type FileTime, type TestTime } from "./budget";
import { treeCpuMs } from "./process-cpu";
import type { FileOptions, FromWorker, ToWorker } from "./run-protocol";

const repoRoot = resolve(__dirname, "..", "..", "..");

interface Args {
  jobs: number;
  options: FileOptions;
  tiers: string[];
  sharedHostTiers: string[];
  files: string[];
}

function usage(msg: string): never {
  console.error(`runner: ${msg}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const a: Args = { jobs: 1, options: { timeoutMs: 600_000, slowMs: 5_000 }, tiers: [], sharedHostTiers: [], files: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    const number = () => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) usage(`${arg} needs a positive integer, got ${JSON.stringify(v)}`);
      return n;
    };
    switch (arg) {
      case "--jobs":
        a.jobs = number();
        break;
      case "--grep":
        a.options.grep = value();
        break;
      case "--fgrep":
        a.options.fgrep = value();
        break;
      case "--invert":
        a.options.invert = true;
        break;
      case "--bail":
        a.options.bail = true;
        break;
      case "--timeout":
        a.options.timeoutMs = number();
        break;
      case "--slow":
        a.options.slowMs = number();
        break;
      case "--tiers":
        a.tiers = value().split(",").filter(Boolean);
        break;
      case "--shared-host-tiers":
        a.sharedHostTiers = value().split(",").filter(Boolean);
        break;
      default:
        if (arg.startsWith("-")) usage(`unknown option ${arg}`);
        a.files.push(resolve(arg));
    }
  }
  if (!a.files.length) usage("no test files");
  return a;
}

/** test/<tier>/….test.ts for dist/test/<tier>/….test.js: the name users know. */
function sourceName(file: string): string {
  return relative(repoRoot, file)
    .replace(/^dist[\\/]/, "")
    .replace(/\.js$/, ".ts");
}

// The last measured time of each file, kept beside the toolchain cache: the longest files are
// started first. A machine without one (a fresh CI machine) goes by test/expected-times.json,
// times measured on a full run and committed. Hints, never an input of a result.
const cacheDir = process.env.NETKIT_CACHE ?? join(homedir(), ".cache", "pulumi-netkit");
const historyFile = join(cacheDir, "test-times.json");
const expectedFile = join(repoRoot, "test", "expected-times.json");

function readTimes(file: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

function readHistory(): Record<string, number> {
  return { ...readTimes(expectedFile), ...readTimes(historyFile) };
}

function writeHistory(files: FileTime[]): void {
  try {
    const h = readTimes(historyFile);
    for (const f of files) h[f.file] = f.endMs - f.startMs;
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${historyFile}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(h, null, 1));
    renameSync(tmp, historyFile);
  } catch {
    // A hint only.
  }
}

/** NETKIT_WRITE_EXPECTED_TIMES=1: this run's times (whole seconds) become test/expected-times.json's, for the files it ran. */
function writeExpectedTimes(files: FileTime[]): void {
  const e = readTimes(expectedFile);
  // Only this repository's files: the runner's own tests run other runners on files under a temporary directory.
  for (const f of files) if (!f.file.startsWith("..")) e[f.file] = Math.round((f.endMs - f.startMs) / 1000) * 1000;
  for (const k of Object.keys(e)) if (k.startsWith("..")) delete e[k];
  const sorted = Object.fromEntries(Object.entries(e).sort(([a], [b]) => a.localeCompare(b)));
  // Two-space indent: the file is committed, and prettier checks it.
  writeFileSync(expectedFile, JSON.stringify(sorted, null, 2) + "\n");
}

/** Expected time: the last measurement, else a guess from the tier (VM tiers first) and size. */
function expectedMs(file: string, tiers: string[], history: Record<string, number>): number {
  const known = history[sourceName(file)];
  if (known !== undefined) return known;
  const tier = tierOf(sourceName(file));
  const rank = tiers.indexOf(tier);
  // Unknown tiers are new ones: assume they are as heavy as the heaviest.
  const weight = rank < 0 ? tiers.length : rank;
  return weight * 60_000 + statSync(file).size;
}

/** The provisioning steps scripts/provision.sh timed ("name<TAB>ms[<TAB>parallel]" lines). */
function readSteps(): { name: string; ms: number; parallel: boolean }[] {
  const f = process.env.NETKIT_STEP_TIMES;
  if (!f || !existsSync(f)) return [];
  return readFileSync(f, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [name, ms, kind] = l.split("\t");
      return { name: name!, ms: Number(ms), parallel: kind === "parallel" };
    });
}

interface Worker {
  id: number;
  proc: ChildProcess;
  ready: Promise<void>;
  file?: { path: string; name: string; start: number; cpuAtStart: number | undefined; output: string[] };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const history = readHistory();
  const queue = [...args.files].sort((x, y) => expectedMs(y, args.tiers, history) - expectedMs(x, args.tiers, history));
  const jobs = Math.min(args.jobs, queue.length);
  const grepping = args.options.grep !== undefined || args.options.fgrep !== undefined;
  // One worker prints as it goes; several, or a --grep that leaves most files empty, file by file.
  const live = jobs === 1 && !grepping;
  const t0 = Date.now();
  const loadAtStart = loadavg()[0]!;
  const files: FileTime[] = [];
  const tests: TestTime[] = [];
  const hooks: { file: string; title: string; ms: number }[] = [];
  const skips: { title: string; reason: string }[] = [];
  let bailed = false;
  const workers: Worker[] = [];
  const workerScript = join(__dirname, "worker.js");

  const usesSharedHost = args.files.some((f) => args.sharedHostTiers.includes(tierOf(sourceName(f))));
  const prewarm = usesSharedHost && !grepping;

  const print = (text: string) => process.stdout.write(text);

  function finishFile(w: Worker, failures: number): void {
    const f = w.file;
    if (!f) return;
    w.file = undefined;
    const end = Date.now();
    const cpu = f.cpuAtStart === undefined ? undefined : treeCpuMs(w.proc.pid!);
    files.push({ file: f.name, tier: tierOf(f.name), startMs: f.start - t0, endMs: end - t0, failures, ...(cpu !== undefined ? { cpuMs: cpu - f.cpuAtStart! } : {}) });
    // Under --grep most files run nothing: only those that did are shown.
    const ranNothing = !failures && !tests.some((t) => t.file === f.name);
    if (!live && !(grepping && ranNothing)) print(`\n── ${f.name} (${((end - f.start) / 1000).toFixed(1)} s, worker ${w.id})\n${f.output.join("")}`);
    if (failures && args.options.bail) bailed = true;
  }

  let finished: () => void;
  const allDone = new Promise<void>((r) => (finished = r));
  const idle = new Set<Worker>();

  function next(w: Worker): void {
    const file = bailed ? undefined : queue.shift();
    if (!file) {
      idle.add(w);
      if (idle.size === workers.length) finished();
      return;
    }
    w.file = { path: file, name: sourceName(file), start: Date.now(), cpuAtStart: treeCpuMs(w.proc.pid!), output: [] };
    if (live) print(`\n── ${w.file.name}\n`);
    else if (!grepping) print(`▶ ${w.file.name} (worker ${w.id})\n`);
    w.proc.send({ kind: "run", file, options: args.options, env: {} } satisfies ToWorker);
  }

  function start(id: number): Worker {
    const proc = fork(workerScript, [], { stdio: ["ignore", "pipe", "pipe", "ipc"] });
    let resolveReady: () => void;
    const w: Worker = { id, proc, ready: new Promise((r) => (resolveReady = r)) };
    // Output that bypasses the worker's console (a child process writing to its stdout).
    for (const stream of [proc.stdout!, proc.stderr!]) {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (s: string) => {
        const lines = (partial + s).split("\n");
        partial = lines.pop()!;
        for (const l of lines) print(`[worker ${id}] ${l}\n`);
      });
    }
    proc.on("message", (m: FromWorker) => {
      const name = w.file?.name ?? "(between files)";
      switch (m.kind) {
        case "ready":
          resolveReady();
          break;
        case "output":
          if (live || !w.file) print(m.text);
          else w.file.output.push(m.text);
          break;
        case "test":
          tests.push({ file: name, tier: tierOf(name), title: m.title, outcome: m.outcome, ms: m.ms });
          break;
        case "hook":
          hooks.push({ file: name, title: m.title, ms: m.ms });
          break;
        case "skip":
          skips.push({ title: m.title, reason: m.reason });
          break;
        case "done":
          finishFile(w, m.failures);
          next(w);
          break;
        case "stopped":
          break;
      }
    });
    proc.on("exit", (code, signal) => {
      if (stopping) return;
      // A worker died under a file: that file failed; the rest go on in a new worker.
      const name = w.file?.name ?? "(between files)";
      const note = `\n  the worker running this file exited (${signal ?? `code ${code}`})\n`;
      if (live || !w.file) print(note);
      else w.file.output.push(note);
      tests.push({ file: name, tier: tierOf(name), title: `${name}: its worker exited (${signal ?? `code ${code}`})`, outcome: "failed", ms: 0 });
      finishFile(w, 1);
      const replacement = start(id);
      workers[workers.indexOf(w)] = replacement;
      idle.delete(w);
      void replacement.ready.then(() => next(replacement));
    });
    return w;
  }

  let stopping = false;
  const killAll = () => {
    stopping = true;
    for (const w of workers) w.proc.kill("SIGTERM");
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }

  for (let i = 1; i <= jobs; i++) workers.push(start(i));
  await Promise.all(workers.map((w) => w.ready));
  if (prewarm) for (const w of workers) w.proc.send({ kind: "prewarm" } satisfies ToWorker);
  for (const w of [...workers]) next(w);
  await allDone;

  stopping = true;
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolveExit) => {
          if (w.proc.exitCode !== null || w.proc.signalCode !== null) return resolveExit();
          const timer = setTimeout(() => w.proc.kill("SIGKILL"), 120_000);
          w.proc.once("exit", () => {
            clearTimeout(timer);
            resolveExit();
          });
          w.proc.send({ kind: "stop" } satisfies ToWorker);
        }),
    ),
  );
  const wallMs = Date.now() - t0;

  if (!grepping) writeHistory(files);
  if (!grepping && process.env.NETKIT_WRITE_EXPECTED_TIMES === "1") writeExpectedTimes(files);
  const report = budgetReport({
    steps: readSteps(),
    tierOrder: args.tiers,
    files,
    tests,
    hooks,
    skips,
    wallMs,
    load: { start: loadAtStart, end: loadavg()[0]! },
    workers: jobs,
    fileThresholdMs: Number(process.env.NETKIT_TIME_THRESHOLD_S ?? 10) * 1000,
    slowest: 10,
  });
  print(report.join("\n") + "\n");
  const failed = tests.some((t) => t.outcome === "failed") || files.some((f) => f.failures > 0);
  process.exitCode = failed ? 1 : 0;
}

void main().catch((err: unknown) => {
  console.error(`runner: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
