// Running a program's process to its end and turning how it ended into the engine's RunResponse
// terms: the same for every runtime (each SDK exits 32 once it has logged the program's error
// through the engine).
import { spawn, type SpawnOptions } from "node:child_process";
import { track } from "./processes";

/** What the engine told the host on its command line (or later in Handshake). */
export interface EngineArgs {
  engineAddress: string;
  tracing?: string;
}

/** Success is `{}`; `bail`: the program reported its own error already; else `error`. */
export interface RunOutcome {
  bail?: boolean;
  error?: string;
}

/** The SDKs' exit code after they have logged the program's error to the engine. */
export const BAIL_EXIT_CODE = 32;

/**
 * Runs `command args` with stdout and stderr inherited (the engine shows them as the stack's
 * diagnostics); SIGINT on abort. Never rejects: the engine wants a RunResponse, not an RPC error.
 */
export function runChild(command: string, args: string[], options: SpawnOptions, signal?: AbortSignal): Promise<RunOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const settle = (o: RunOutcome) => {
      if (done) return;
      done = true;
      resolve(o);
    };
    const child = track(spawn(command, args, { ...options, stdio: ["ignore", "inherit", "inherit"] }));
    signal?.addEventListener("abort", () => child.kill("SIGINT"), { once: true });
    child.once("error", (e) => settle({ error: `Problem executing program (could not run language executor): ${e.message}` }));
    child.once("close", (code, sig) => {
      if (code === 0) settle({});
      else if (code === BAIL_EXIT_CODE) settle({ bail: true });
      else if (code !== null) settle({ error: `Program exited with non-zero exit code: ${code}` });
      else settle({ error: `Program exited due to signal ${sig}` });
    });
  });
}

/** A command's output, streamed to `write` as it comes; rejects naming the command when it fails. */
export type Sink = (stream: "stdout" | "stderr", chunk: Buffer) => void;

export function streamCommand(command: string, args: string[], options: SpawnOptions, write: Sink, signal?: AbortSignal): Promise<void> {
  write("stdout", Buffer.from(`${command} ${args.join(" ")} (in ${String(options.cwd ?? process.cwd())})\n`));
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] }));
    signal?.addEventListener("abort", () => child.kill("SIGINT"), { once: true });
    child.stdout.on("data", (b: Buffer) => write("stdout", b));
    child.stderr.on("data", (b: Buffer) => write("stderr", b));
    child.once("error", (e) => reject(new Error(`could not run ${command}: ${e.message}`)));
    child.once("close", (code, sig) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args[0] ?? ""} in ${String(options.cwd ?? process.cwd())} failed: ${code === null ? `signal ${sig}` : `exit code ${code}`}`)),
    );
  });
}
