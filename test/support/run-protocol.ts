// The messages between the test runner (runner.ts) and its workers (worker.ts), one test file
// at a time per worker.

export type Outcome = "passed" | "failed" | "skipped";

/** What a worker is asked to do. */
export type ToWorker =
  | { kind: "run"; file: string; options: FileOptions; env: Record<string, string> }
  /** Boot this worker's shared test host now, beside whatever runs, for files to come. */
  | { kind: "prewarm" }
  /** Stop what the worker's files started (test hosts, SSH sessions) and exit. */
  | { kind: "stop" };

/** What a worker reports. */
export type FromWorker =
  | { kind: "ready" }
  /** Text the file's tests and the spec reporter printed, in order. */
  | { kind: "output"; text: string }
  | { kind: "test"; title: string; outcome: Outcome; ms: number }
  /** Why a test or a suite skipped (test/support/skip.ts). */
  | { kind: "skip"; title: string; reason: string }
  /** A hook that ran (its failure is also reported as a failed test, as mocha counts it). */
  | { kind: "hook"; title: string; ms: number }
  | { kind: "done"; file: string; failures: number; ms: number }
  | { kind: "stopped" };

export interface FileOptions {
  timeoutMs: number;
  slowMs: number;
  grep?: string;
  fgrep?: string;
  invert?: boolean;
  bail?: boolean;
}
