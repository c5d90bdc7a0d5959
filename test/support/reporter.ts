// Spec output while running, then a per-tier summary and one closing line
// "tests: N passed, N failed, N skipped" that CI reads. A tier is the folder under test/.
import Mocha from "mocha";
import { skipReasons } from "./skip";

const TIERS = ["unit", "ssh", "testhost", "kernel", "lifecycle"];

function tierOf(file: string | undefined): string {
  const m = /[\\/]test[\\/]([^\\/]+)[\\/]/.exec(file ?? "");
  return m?.[1] ?? "other";
}

class TierReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const counts = new Map<string, { passed: number; failed: number; skipped: number }>();
    const bump = (t: Mocha.Runnable, k: "passed" | "failed" | "skipped") => {
      const tier = tierOf(t.file);
      const c = counts.get(tier) ?? { passed: 0, failed: 0, skipped: 0 };
      c[k]++;
      counts.set(tier, c);
    };
    runner.on("pass", (t) => bump(t, "passed"));
    runner.on("fail", (t) => bump(t, "failed"));
    runner.on("pending", (t) => bump(t, "skipped"));
    runner.once("end", () => {
      const total = { passed: 0, failed: 0, skipped: 0 };
      console.log("\n== test summary by tier ==");
      const order = [...TIERS, ...[...counts.keys()].filter((t) => !TIERS.includes(t))];
      for (const tier of order) {
        const c = counts.get(tier);
        if (!c) continue;
        console.log(`  ${tier.padEnd(10)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
        total.passed += c.passed;
        total.failed += c.failed;
        total.skipped += c.skipped;
      }
      for (const [title, reason] of skipReasons) console.log(`  skipped: ${title} — ${reason}`);
      console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
    });
  }
}

export = TierReporter;
