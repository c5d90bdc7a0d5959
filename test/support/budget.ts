// The end of every `npm test`: where the time went (provisioning steps, each tier, the files
// above a threshold, the slowest tests and hooks), then the pass/fail/skip count per tier and
// the closing line "tests: N passed, N failed, N skipped" that CI reads. Pure: runner.ts
// gathers the figures.
import type { Outcome } from "./run-protocol";

export interface FileTime {
  /** As users name it: test/<tier>/….test.ts */
  file: string;
  tier: string;
  startMs: number;
  endMs: number;
  failures: number;
  /** CPU time of the worker's process tree while the file ran (test hosts, the engine, plugins included). */
  cpuMs?: number;
}

export interface TestTime {
  file: string;
  tier: string;
  title: string;
  outcome: Outcome;
  ms: number;
}

export interface BudgetInput {
  /**
   * Provisioning steps in the order they ran, with their wall time; `parallel` ones ran in the
   * background beside the others (their time is inside the steps that waited for them).
   */
  steps: { name: string; ms: number; parallel?: boolean }[];
  /** The tiers in their run order (others follow in order of appearance). */
  tierOrder: string[];
  files: FileTime[];
  tests: TestTime[];
  /** Hooks (before/after), with the file they belong to. */
  hooks: { file: string; title: string; ms: number }[];
  skips: { title: string; reason: string }[];
  wallMs: number;
  /** The machine's 1-minute load average when the tests started and ended: other work slows them too. */
  load?: { start: number; end: number };
  workers: number;
  /** Files at or above this are listed by name. */
  fileThresholdMs: number;
  /** How many of the slowest tests and hooks to name. */
  slowest: number;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const right = (s: string, n: number) => s.padStart(n);

/** Tier of a test file: the folder under test/. */
export function tierOf(file: string): string {
  return /(?:^|[\\/])test[\\/]([^\\/]+)[\\/]/.exec(file)?.[1] ?? "other";
}

export function budgetReport(b: BudgetInput): string[] {
  const out: string[] = [];
  const tiers = [...b.tierOrder, ...new Set([...b.files.map((f) => f.tier), ...b.tests.map((t) => t.tier)])].filter((t, i, all) => all.indexOf(t) === i);
  const steps = b.steps.filter((s) => !s.parallel);
  const parallel = b.steps.filter((s) => s.parallel);
  const provisioning = steps.reduce((s, x) => s + x.ms, 0);

  out.push("", "== time budget ==");
  if (b.steps.length) {
    out.push(`  provisioning ${right(sec(provisioning), 9)}: ${steps.map((s) => `${s.name} ${sec(s.ms)}`).join(", ")}`);
    if (parallel.length) out.push(`               built beside them: ${parallel.map((s) => `${s.name} ${sec(s.ms)}`).join(", ")}`);
  }
  const busy = b.files.reduce((s, f) => s + (f.endMs - f.startMs), 0);
  const cpuOf = (fs: FileTime[]) => (fs.every((f) => f.cpuMs !== undefined) ? fs.reduce((s, f) => s + f.cpuMs!, 0) : undefined);
  const cpu = cpuOf(b.files);
  out.push(`  tests        ${right(sec(b.wallMs), 9)} wall, ${b.workers} worker${b.workers === 1 ? "" : "s"} (the files' own times add up to ${sec(busy)})`);
  if (cpu !== undefined && b.wallMs > 0) out.push(`               CPU ${sec(cpu)}: ${(cpu / b.wallMs).toFixed(2)} cores busy on average with the tests' own work`);
  if (b.load) out.push(`               machine load (1 min) ${b.load.start.toFixed(1)} at the start, ${b.load.end.toFixed(1)} at the end`);
  if (b.steps.length) out.push(`  total        ${right(sec(provisioning + b.wallMs), 9)}`);

  out.push("  per tier (span: first file's start to last file's end; files: their times added up; CPU: theirs)");
  for (const tier of tiers) {
    const fs = b.files.filter((f) => f.tier === tier);
    if (!fs.length) continue;
    const span = Math.max(...fs.map((f) => f.endMs)) - Math.min(...fs.map((f) => f.startMs));
    const own = fs.reduce((s, f) => s + (f.endMs - f.startMs), 0);
    const tierCpu = cpuOf(fs);
    const n = b.tests.filter((t) => t.tier === tier).length;
    out.push(
      `    ${tier.padEnd(12)} span ${right(sec(span), 9)}   files ${right(sec(own), 9)}${tierCpu !== undefined ? `   CPU ${right(sec(tierCpu), 9)}` : ""}   ${fs.length} file${fs.length === 1 ? "" : "s"}, ${n} tests`,
    );
  }

  const slowFiles = b.files.filter((f) => f.endMs - f.startMs >= b.fileThresholdMs).sort((x, y) => y.endMs - y.startMs - (x.endMs - x.startMs));
  if (slowFiles.length) {
    out.push(`  files over ${sec(b.fileThresholdMs)} (a file's time includes its hooks: booting test hosts, stacks set up)`);
    for (const f of slowFiles) out.push(`    ${right(sec(f.endMs - f.startMs), 9)}  ${f.file}${f.cpuMs !== undefined ? `  (CPU ${sec(f.cpuMs)})` : ""}`);
  }

  const runnables = [...b.tests.map((t) => ({ what: `${t.file}: ${t.title}`, ms: t.ms })), ...b.hooks.map((h) => ({ what: `${h.file}: ${h.title}`, ms: h.ms }))]
    .sort((x, y) => y.ms - x.ms)
    .slice(0, b.slowest)
    .filter((r) => r.ms > 0);
  if (runnables.length) {
    out.push(`  slowest tests and hooks`);
    for (const r of runnables) out.push(`    ${right(sec(r.ms), 9)}  ${r.what}`);
  }

  out.push("", "== test summary by tier ==");
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const tier of tiers) {
    const ts = b.tests.filter((t) => t.tier === tier);
    if (!ts.length) continue;
    const c = { passed: 0, failed: 0, skipped: 0 };
    for (const t of ts) c[t.outcome]++;
    out.push(`  ${tier.padEnd(10)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
    total.passed += c.passed;
    total.failed += c.failed;
    total.skipped += c.skipped;
  }
  for (const f of b.files.filter((f) => f.failures > 0)) out.push(`  failed in: ${f.file}`);
  for (const s of b.skips) out.push(`  skipped: ${s.title} — ${s.reason}`);
  out.push(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return out;
}
