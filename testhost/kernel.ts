import * as fs from "fs";
import * as path from "path";
import { TestHostError } from "./errors";
import { scripts } from "./paths";
import { run } from "./run";

export type Log = (line: string) => void;

export interface KernelInfo {
  bzImage: string;
  /** `uname -r` of the built kernel, e.g. "7.2.13-netkit". */
  release: string;
}

// One build per process however many callers ask at once; build.sh itself
// also takes a lock, for parallel processes.
let kernelPromise: Promise<KernelInfo> | undefined;
let initramfsPromise: Promise<string> | undefined;

/** Builds the test-host kernel with testhost/kernel/build.sh (cached: instant when built). */
export function ensureKernel(opts: { log?: Log } = {}): Promise<KernelInfo> {
  kernelPromise ??= buildKernel(opts.log).catch((err) => {
    kernelPromise = undefined; // let a later call retry
    throw err;
  });
  return kernelPromise;
}

/** Builds the busybox initramfs with testhost/guest/mkinitramfs.sh (cached). */
export function ensureInitramfs(opts: { log?: Log } = {}): Promise<string> {
  initramfsPromise ??= runScript(scripts.mkInitramfs(), "initramfs", opts.log).catch((err) => {
    initramfsPromise = undefined;
    throw err;
  });
  return initramfsPromise;
}

async function buildKernel(log?: Log): Promise<KernelInfo> {
  const dir = await runScript(scripts.buildKernel(), "kernel", log);
  const bzImage = path.join(dir, "bzImage");
  const releaseFile = path.join(dir, "release");
  if (!fs.existsSync(bzImage) || !fs.existsSync(releaseFile)) {
    throw new TestHostError(`kernel build printed ${dir}, but it lacks bzImage or release`);
  }
  return { bzImage, release: fs.readFileSync(releaseFile, "utf8").trim() };
}

/** Runs a cache-building script; its last stdout line is the result path. */
async function runScript(script: string, what: string, log?: Log): Promise<string> {
  try {
    const { stdout } = await run(["bash", script], { onStderrLine: log });
    const out = stdout.trim().split("\n").pop() ?? "";
    if (!out || !fs.existsSync(out)) throw new TestHostError(`${script} printed no existing path (got ${JSON.stringify(out)})`);
    return out;
  } catch (err) {
    throw new TestHostError(`building the test-host ${what} failed: ${(err as Error).message}`, { cause: err });
  }
}
