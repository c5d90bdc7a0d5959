// The child processes the host started (program runners, npm), so that Cancel, the engine's
// signals and a vanished engine all reach them.
import type { ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** Remembers `child` until it exits. */
export function track<C extends ChildProcess>(child: C): C {
  live.add(child);
  child.once("exit", () => live.delete(child));
  child.once("error", () => live.delete(child)); // never started: no "exit" follows
  return child;
}

/** SIGINT to every live child: the SDK's runner ends the program on it. */
export function interruptAll(): void {
  for (const c of live) if (running(c)) c.kill("SIGINT");
}

/** Interrupts every child, waits up to `graceMs` for them, then SIGKILLs what is left. */
export async function stopAll(graceMs: number): Promise<void> {
  interruptAll();
  const deadline = Date.now() + graceMs;
  while ([...live].some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const c of live) if (running(c)) c.kill("SIGKILL");
}
