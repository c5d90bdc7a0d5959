// The verdicts on the targets near the floor and at fleet scale, from measurements made up for
// the purpose: each target met just inside its bound and missed just outside it, for both
// routes, and not judged where a row it needs was not measured.
import assert from "node:assert/strict";
import type { Measurement, RunInfo } from "../../../bench/measurement";
import { SCALE_TARGETS, scaleTargets, scaleTargetsSection } from "../../../bench/scale-targets";
import type { Phase } from "../../../bench/workloads/workload";
import { runInfo } from "./run-info";

const info: RunInfo = runInfo([100, 300, 1000]);

const PHASES: Phase[] = ["up", "preview", "refresh", "destroy"];
const row = (workload: string, n: number, phase: Phase, ms: number, rssMb?: number): Measurement => ({
  n,
  workload,
  phase,
  ms,
  localCpu: ms / 1000,
  guestCpu: ms / 4000,
  handshakes: 1,
  commands: 1,
  load: 0,
  ...(rssMb ? { rssMb } : {}),
});

/** (b) 10 ms a pair, (c) 20 ms a pair; each route's own part `ours(n)` ms on top of (c) in every phase. */
function measured(ours: (route: string, n: number, p: Phase) => number, rss = 150): Measurement[] {
  const ms: Measurement[] = [];
  for (const n of [100, 300, 1000])
    for (const p of PHASES) {
      if (p !== "preview") ms.push(row("floor", n, p, 10 * n));
      ms.push(row("noop", n, p, 20 * n, 120));
      for (const r of ["netkit", "plugin"]) ms.push(row(r, n, p, 20 * n + ours(r, n, p), rss));
    }
  return ms;
}

const verdict = (rows: ReturnType<typeof scaleTargets>, starts: string) => {
  const r = rows.find((x) => x.target.startsWith(starts));
  assert.ok(r, `no target starting "${starts}" in ${rows.map((x) => x.target).join(" / ")}`);
  return r;
};

describe("bench scale targets", () => {
  it("our part within 1.5 × (b) at 100 and 1000 pairs is met for both routes; just over it is missed, naming the phase and the checkpoint", () => {
    const inside = scaleTargets(
      measured((_r, n) => 1.5 * 10 * n),
      info,
    );
    for (const what of ["dynamic provider, 100 pairs", "dynamic provider, 1000 pairs", "provider plugin, 100 pairs", "provider plugin, 1000 pairs"])
      assert.equal(verdict(inside, what).met, true, what);
    const ms = measured((r, n, p) => (r === "plugin" && p === "destroy" && n === 1000 ? 1.6 * 10 * n : 10 * n));
    ms.find((m) => m.workload === "plugin" && m.n === 1000 && m.phase === "up")!.state = {
      file: 3_000_000,
      resources: 1000,
      perResource: 3000,
      type: "netkit:index:NetkitPair",
      parts: [],
    };
    ms.find((m) => m.workload === "noop" && m.n === 1000 && m.phase === "up")!.state = { file: 1_000_000, resources: 1000, perResource: 1000, type: "NoOp", parts: [] };
    const out = scaleTargets(ms, info);
    assert.equal(verdict(out, "dynamic provider, 1000 pairs").met, true);
    const miss = verdict(out, "provider plugin, 1000 pairs");
    assert.equal(miss.met, false);
    assert.match(miss.measured, /destroy 36\.0 − 20\.0 = 16\.0 s vs \(b\) 10\.0 s: 1\.60 × \(b\)/);
    assert.match(miss.why!, /^destroy: 36\.0 − 20\.0 = 16\.0 s, 16 ms per pair/);
    assert.match(miss.why!, /3000 bytes per resource against \(c\)'s 1000, about 3\.00 GB written in this destroy against \(c\)'s 1\.00 GB/);
    assert.ok(!miss.why!.includes("up:"), "only the missed phase is explained");
  });

  it("with (c′) measured, a miss says how much of our part is the engine's for the bytes and how much the provider's and the host's", () => {
    const ms = measured((r, n) => (r === "netkit" ? 3 * 10 * n : 0));
    // (c′): (c) plus 25 ms a pair, the engine's cost of holding a NetkitPair's state.
    for (const p of PHASES) ms.push(row("noop-state", 1000, p, 20 * 1000 + 25 * 1000));
    const why = verdict(scaleTargets(ms, info), "dynamic provider, 1000 pairs").why!;
    assert.match(why, /up: 50\.0 − 20\.0 = 30\.0 s, 30 ms per pair/);
    assert.match(
      why,
      /\(c′\), the same no-op resources holding a NetkitPair's state, took 45\.0 s: 25\.0 s of the 30\.0 are the engine's for the bytes, and netkit − \(c′\) = 5\.0 s = 0\.50 × \(b\)/,
    );
  });

  it("a size without (b) or (c) rows is not judged", () => {
    const ms = measured(() => 0).filter((m) => !(m.workload === "floor" && m.n === 100));
    assert.equal(verdict(scaleTargets(ms, info), "dynamic provider, 100 pairs").met, undefined);
  });

  it("marginal cost per pair from 300 to 1000 within 1.25 × the average at 300: met at 1.25×, missed above; under 5 ms a pair is flat", () => {
    // Ours: 30 ms a pair to 300, then `m` ms a pair; preview 1 ms a pair, then 4 (flat: under 5).
    const grow = (m: number) => (_r: string, n: number, p: Phase) => (p === "preview" ? (n <= 300 ? n : 300 + 4 * (n - 300)) : n <= 300 ? 30 * n : 9000 + m * (n - 300));
    assert.equal(verdict(scaleTargets(measured(grow(37.5)), info), "dynamic provider: our cost per pair").met, true);
    const out = verdict(scaleTargets(measured(grow(40)), info), "provider plugin: our cost per pair");
    assert.equal(out.met, false);
    assert.match(out.measured, /up 30 → 40 ms\/pair \(1\.33×\)/);
    assert.match(out.measured, /preview 1 → 4 ms\/pair/);
    assert.match(out.why!, /^up: 30 ms per pair at 300, 40 ms for each further pair to 1000/);
    assert.ok(!/preview:/.test(out.why!), "a flat preview is not a miss");
  });

  it("provider RSS ≤ 200 MB in every phase at 1000 pairs; over it, missed with (c)'s RSS beside", () => {
    assert.equal(
      verdict(
        scaleTargets(
          measured(() => 0, 200),
          info,
        ),
        "dynamic provider: provider process RSS",
      ).met,
      true,
    );
    const ms = measured(() => 0, 150);
    ms.find((m) => m.workload === "netkit" && m.n === 1000 && m.phase === "refresh")!.rssMb = 201;
    const out = verdict(scaleTargets(ms, info), "dynamic provider: provider process RSS");
    assert.equal(out.met, false);
    assert.match(out.why!, /Over 200 MB: refresh 201 MB; .* 120 MB in refresh/);
    assert.equal(verdict(scaleTargets(ms, info), "provider plugin: provider process RSS").met, true);
    assert.equal(SCALE_TARGETS.rss.mb, 200);
  });

  it("the section renders a verdict per target and a paragraph per miss", () => {
    const text = scaleTargetsSection(
      measured((r, n) => (r === "netkit" ? 20 * n : 0)),
      info,
    );
    assert.match(text, /\| dynamic provider, 100 pairs: `up`, `refresh`, `destroy` each netkit − \(c\) ≤ 1\.5 × \(b\) \| \*\*missed\*\* \|/);
    assert.match(text, /\*\*Missed: dynamic provider, 1000 pairs: .*\*\* up: 40\.0 − 20\.0 = 20\.0 s, 20 ms per pair/);
  });
});
