// The benchmark's verdicts on its targets, from measurements made up for the purpose:
// a report that called a missed target met (or the reverse) would mislead whoever reads it.
import assert from "node:assert/strict";
import type { Measurement, RunInfo } from "../../../bench/measurement";
import { renderReport } from "../../../bench/report";
import { plotSvg, slope } from "../../../bench/plot";
import { runInfo } from "./run-info";

const info = (sizes: number[]): RunInfo => ({
  ...runInfo(sizes, { netkit: "netkit", command: "(a') emulated", floor: "(b)", noop: "(c)" }),
  calibration: [
    { key: "dial", step: "dial", ms: 800 },
    { key: "relay", step: "relay", ms: 1700 },
  ],
});

/** One row per workload and phase; `f` gives netkit's counts and time per N. */
function run(sizes: number[], f: (n: number) => { up: number; upMs: number; refresh: number; handshakes?: number }): Measurement[] {
  const ms: Measurement[] = [];
  for (const n of sizes) {
    const nk = f(n);
    const row = (workload: string, phase: Measurement["phase"], msv: number, handshakes: number, commands: number) =>
      ms.push({ n, workload, phase, ms: msv, localCpu: msv / 2000, guestCpu: msv / 2000, handshakes, commands, load: 0 });
    row("netkit", "up", nk.upMs, nk.handshakes ?? 1, nk.up);
    row("netkit", "refresh", 1000, 1, nk.refresh);
    row("netkit", "destroy", 1000, 1, 2 * n);
    row("command", "up", 10_000 * n, n, n);
    row("command", "refresh", 500, 0, 0);
    row("command", "destroy", 10_000 * n, n, n);
    row("floor", "up", 1000, 1, 1);
    row("noop", "up", 100 * n, 0, 0);
  }
  return ms;
}

/** The verdict of a target in the report's section `section` (the targets against baseline (a) by default). */
function verdict(report: string, target: string, section = "## Targets against the per-resource baseline"): string {
  const line = report
    .slice(report.indexOf(section))
    .split("\n")
    .find((l) => l.startsWith(`| ${target}`));
  assert.ok(line, `no row for ${target}`);
  return line.split("|")[2]!.trim();
}

describe("bench report: verdicts on the targets", () => {
  it("refresh that grows with N is O(resources): missed, with the reason", () => {
    const r = renderReport(
      run([10, 100], (n) => ({ up: n + 1, upMs: 1000 * n, refresh: n })),
      info([10, 100]),
    );
    assert.equal(verdict(r, "refresh costs"), "**missed**");
    assert.match(r, /### Missed: refresh costs O\(hosts\)/);
    assert.match(r, /10 round trips for 10 pairs, 100 round trips for 100 pairs/);
  });

  it("refresh in a constant number of round trips is met; at N ≤ 2 it cannot be told", () => {
    const r = renderReport(
      run([10, 100], (n) => ({ up: 2, upMs: 1000 * n, refresh: 1 })),
      info([10, 100]),
    );
    assert.equal(verdict(r, "refresh costs"), "**met**");
    const small = renderReport(
      run([2], (n) => ({ up: 2, upMs: 1000 * n, refresh: 2 })),
      info([2]),
    );
    assert.equal(verdict(small, "refresh costs"), "not measured");
  });

  it("up is judged at N=100 against (a): 0.3× met, above it missed with the engine floor named", () => {
    const fast = renderReport(
      run([100], (n) => ({ up: 2, upMs: 0.25 * 10_000 * n, refresh: 1 })),
      info([100]),
    );
    assert.equal(verdict(fast, "`up` of 100 pairs"), "**met**");
    const slow = renderReport(
      run([100], (n) => ({ up: n + 1, upMs: 0.5 * 10_000 * n, refresh: 1 })),
      info([100]),
    );
    assert.equal(verdict(slow, "`up` of 100 pairs"), "**missed**");
    assert.match(slow, /At N=100, up took 500\.0 s against 1000\.0 s for \(a'\): 0\.50×/);
  });

  it("a second handshake in any operation misses the handshake target", () => {
    const r = renderReport(
      run([10], (n) => ({ up: n, upMs: 1000, refresh: 1, handshakes: 2 })),
      info([10]),
    );
    assert.equal(verdict(r, "SSH handshakes"), "**missed**");
    assert.match(r, /N=10 up: 2/);
  });

  it("the plot has a panel per phase and a line per workload; the slope is a least-squares fit", () => {
    const ms = run([10, 100], (n) => ({ up: 1, upMs: 100 * n + 1500, refresh: 1 }));
    const svg = plotSvg(ms, ["up", "refresh", "destroy"], { netkit: "netkit", floor: "(b)" });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 4 + 2 + 2, "up: 4 workloads, refresh: 2, destroy: 2");
    const fit = slope([
      { n: 10, ms: 2500 },
      { n: 100, ms: 11_500 },
    ])!;
    assert.ok(Math.abs(fit.perPair - 0.1) < 1e-9 && Math.abs(fit.fixed - 1.5) < 1e-9, JSON.stringify(fit));
  });
});
