import { spawn } from "child_process";
import { CommandError, tail, TestHostError } from "./errors";

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Receives stderr line by line as it arrives (e.g. a long kernel build's progress). */
  onStderrLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** Runs argv (never through a shell); rejects with CommandError on a non-zero exit. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return reject(new TestHostError("run: empty argv"));
    const child = spawn(cmd, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: opts.env ?? process.env,
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (!opts.onStderrLine) return;
      const lines = (partial + d).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) opts.onStderrLine(l);
    });
    child.on("error", (err) => reject(new CommandError(argv, null, null, String(err))));
    child.on("close", (code, signal) => {
      if (partial && opts.onStderrLine) opts.onStderrLine(partial);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandError(argv, code, signal, tail(stderr)));
    });
  });
}
