import * as fs from "fs";

/**
 * Last-resort cleanup of VMs when the process ends without stop(): on exit,
 * SIGINT, SIGTERM and SIGHUP it kills every registered qemu and removes the
 * registered dirs, synchronously. (A SIGKILLed node is covered by qemu's
 * parent-death signal instead.)
 */
interface Entry {
  pid?: number;
  dirs: string[];
}

const live = new Map<object, Entry>();
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
let installed = false;

/** Tracks a qemu pid (if any) and dirs to remove until unregister(token). */
export function register(token: object, pid: number | undefined, dirs: string[]): void {
  live.set(token, { pid, dirs });
  install();
}

export function unregister(token: object): void {
  live.delete(token);
  if (live.size === 0) uninstall();
}

export function liveCount(): number {
  return live.size;
}

function reapAllSync(): void {
  const entries = [...live.values()];
  for (const { pid } of entries) {
    try {
      if (pid) process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const { dirs } of entries) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  reapAllSync();
  uninstall();
  // Keep the default "die of this signal" unless someone else handles it.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", reapAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener("exit", reapAllSync);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}
