// The reporter of one test file in a worker (worker.ts): mocha's spec output, which the worker
// hands to the runner as the file's text, and each test's and hook's outcome and duration, which
// the runner adds up into the summary and the time budget (runner.ts, budget.ts).
import Mocha from "mocha";
import type { FromWorker } from "./run-protocol";

type Send = (m: FromWorker) => void;

/** A spec reporter that also sends every test's and hook's outcome through `send`. */
export function fileReporter(send: Send): Mocha.ReporterConstructor {
  return class FileReporter extends Mocha.reporters.Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
      super(runner, options);
      const C = Mocha.Runner.constants;
      runner.on(C.EVENT_TEST_PASS, (t) => send({ kind: "test", title: t.fullTitle(), outcome: "passed", ms: t.duration ?? 0 }));
      // A failing hook arrives here too: mocha counts it as a failed test.
      runner.on(C.EVENT_TEST_FAIL, (t) => send({ kind: "test", title: t.fullTitle(), outcome: "failed", ms: t.duration ?? 0 }));
      runner.on(C.EVENT_TEST_PENDING, (t) => send({ kind: "test", title: t.fullTitle(), outcome: "skipped", ms: 0 }));
      runner.on(C.EVENT_HOOK_END, (h: Mocha.Hook) => {
        // Hooks that did nothing measurable are not worth a message each.
        if ((h.duration ?? 0) >= 100) send({ kind: "hook", title: h.fullTitle(), ms: h.duration ?? 0 });
      });
    }
  };
}
