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
  /** Modules the initramfs must load first (a cpio.gz appended to it); absent for our own build. */
  modules?: string;
}

/**
 * Debian's own kernels that kernel/debian.sh fetches (its flavour table has the same names,
 * `debian.sh --list`, and a test keeps the two equal). `netkit`: CONFIG_NETKIT=y (debian.sh
 * refuses a package whose config disagrees); `singleMode`: netkit's single-device mode
 * (IFLA_NETKIT_PAIRING, Linux 7.1+).
 */
export const DEBIAN_KERNELS = {
  "bookworm-6.1": { netkit: false, singleMode: false }, // predates netkit (6.7)
  "trixie-6.12": { netkit: true, singleMode: false },
  "trixie-backports-6.17": { netkit: true, singleMode: false },
  "trixie-backports-7.3": { netkit: true, singleMode: true },
} as const satisfies Record<string, { netkit: boolean; singleMode: boolean }>;

/** A Debian kernel flavour, e.g. "bookworm-6.1" (no netkit) or "trixie-6.12". */
export type DebianKernel = keyof typeof DEBIAN_KERNELS;

// One build per process however many callers ask at once; build.sh itself
// also takes a lock, for parallel processes.
let kernelPromise: Promise<KernelInfo> | undefined;
let initramfsPromise: Promise<string> | undefined;
const debianPromises = new Map<DebianKernel, Promise<KernelInfo>>();

/** Builds the test-host kernel with testhost/kernel/build.sh (cached: instant when built). */
export function ensureKernel(opts: { log?: Log } = {}): Promise<KernelInfo> {
  kernelPromise ??= buildKernel(opts.log).catch((err: unknown) => {
    kernelPromise = undefined; // let a later call retry
    throw err;
  });
  return kernelPromise;
}

/** Fetches a Debian kernel with testhost/kernel/debian.sh (cached: instant once fetched). */
export function ensureDebianKernel(name: DebianKernel, opts: { log?: Log } = {}): Promise<KernelInfo> {
  let p = debianPromises.get(name);
  if (!p) {
    p = runScript(scripts.debianKernel(), `${name} kernel`, opts.log, [name]).then((dir) => {
      const info = { bzImage: path.join(dir, "vmlinuz"), modules: path.join(dir, "modules.cpio.gz"), release: path.join(dir, "release") };
      for (const f of Object.values(info)) if (!fs.existsSync(f)) throw new TestHostError(`kernel/debian.sh printed ${dir}, but it lacks ${path.basename(f)}`);
      return { ...info, release: fs.readFileSync(info.release, "utf8").trim() };
    });
    p.catch(() => debianPromises.delete(name));
    debianPromises.set(name, p);
  }
  return p;
}

/** Builds the busybox initramfs with testhost/guest/mkinitramfs.sh (cached). */
export function ensureInitramfs(opts: { log?: Log } = {}): Promise<string> {
  initramfsPromise ??= runScript(scripts.mkInitramfs(), "initramfs", opts.log).catch((err: unknown) => {
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
async function runScript(script: string, what: string, log?: Log, args: string[] = []): Promise<string> {
  try {
    const { stdout } = await run(["bash", script, ...args], { onStderrLine: log });
    const out = stdout.trim().split("\n").pop() ?? "";
    if (!out || !fs.existsSync(out)) throw new TestHostError(`${script} printed no existing path (got ${JSON.stringify(out)})`);
    return out;
  } catch (err) {
    throw new TestHostError(`building the test-host ${what} failed: ${(err as Error).message}`, { cause: err });
  }
}
