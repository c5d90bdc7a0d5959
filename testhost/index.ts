/**
 * Disposable netkit test hosts: qemu VMs running our own Linux 7.2 build
 * (netkit + netdevsim built in) on the host's own root, shared read-only over
 * 9p under a tmpfs overlay, each reachable as root over SSH on a loopback port
 * with a freshly generated, pinned host key.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TestHostError } from "./errors";
import { type DebianKernel, ensureDebianKernel, ensureInitramfs, ensureKernel, type Log } from "./kernel";
import { type Accel, chooseEngine, requestedAccel } from "./accel";
import { checkHostPrograms } from "./preflight";
import * as reaper from "./reaper";
import { bootVm, type TestHost } from "./vm";

export { TestHostError, CommandError } from "./errors";
export { ensureKernel, ensureDebianKernel, ensureInitramfs, KernelInfo, DebianKernel, DEBIAN_KERNELS, Log } from "./kernel";
export { fingerprint, knownHostsLine } from "./keys";
export { sshExec, readBanner, SshTarget, ExecResult } from "./ssh";
export { TestHost } from "./vm";
export { Accel } from "./accel";
export { Engine } from "./qemu";

export interface TestHostSet {
  hosts: TestHost[];
  /** Stops every host and removes the run's temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Guest memory per VM (default 512). */
  memoryMiB?: number;
  /** Host name prefix: hosts are NAME-0, NAME-1, … (default "testhost"). */
  name?: string;
  /**
   * Another kernel than our cached netkit build: a bzImage path (with everything the
   * guest needs built in), or a Debian kernel fetched by kernel/debian.sh, e.g.
   * `{ debian: "bookworm-6.1" }` (no netkit), whose modules the initramfs loads.
   */
  kernel?: string | { debian: DebianKernel };
  /**
   * Commands the guest must not have, e.g. ["python3"]: removed from its overlay of
   * /usr/{local/,}{s,}bin (with versioned names like python3.11), never from the host.
   */
  hideCommands?: string[];
  /** "auto" tries KVM and falls back to TCG; NETKIT_VM_ACCEL=tcg overrides. */
  accel?: Accel;
  /** Per-VM limit from launch to SSH ready (default 180 s, or NETKIT_VM_BOOT_TIMEOUT_MS). */
  bootTimeoutMs?: number;
  /** Keep console logs after stop (default: NETKIT_KEEP_LOGS=1). Keys are always removed. */
  keepLogs?: boolean;
  /** Progress lines (kernel build, boot times); silent by default. */
  log?: Log;
  /**
   * A second NIC, eth1 in the guest: virtio-net offering RSS with this many queue pairs (qemu
   * steers by the guest's indirection table), for NIC-side tests that netdevsim cannot serve.
   * Its tap lives in a netns of its own on this machine. Not part of any cache key.
   */
  rssNic?: { queues: number };
}

/** Boots `count` test hosts in parallel; all of them are up, or none is left running. */
export async function startTestHosts(count: number, opts: StartOptions = {}): Promise<TestHostSet> {
  if (!Number.isInteger(count) || count < 1) throw new TestHostError(`count must be a positive integer, not ${count}`);
  checkHostPrograms();
  const log = opts.log ?? (() => {});
  const accel = requestedAccel(opts.accel);
  const hideCommands = opts.hideCommands ?? [];
  for (const c of hideCommands) if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(c)) throw new TestHostError(`cannot hide ${JSON.stringify(c)}: not a command name`);
  const k = opts.kernel;
  const [kernelInfo, baseInitrd] = await Promise.all([
    typeof k === "string" ? Promise.resolve({ bzImage: k, modules: undefined }) : k ? ensureDebianKernel(k.debian, { log }) : ensureKernel({ log }),
    ensureInitramfs({ log }),
  ]);
  const kernel = kernelInfo.bzImage;
  if (!fs.existsSync(kernel)) throw new TestHostError(`kernel image ${kernel} does not exist`);
  const engine = await chooseEngine(accel, kernel, log);

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "netkit-testhost-")); // mode 0700
  const token = {};
  reaper.register(token, undefined, [runDir]);
  // The kernel unpacks concatenated cpio archives in turn: base initramfs, then modules.
  let initrd = baseInitrd;
  if (kernelInfo.modules) {
    initrd = path.join(runDir, "initrd.cpio.gz");
    fs.writeFileSync(initrd, Buffer.concat([fs.readFileSync(baseInitrd), fs.readFileSync(kernelInfo.modules)]));
  }
  const keepLogs = opts.keepLogs ?? process.env.NETKIT_KEEP_LOGS === "1";
  const prefix = opts.name ?? "testhost";
  const envTimeout = Number(process.env.NETKIT_VM_BOOT_TIMEOUT_MS);
  const bootTimeoutMs = opts.bootTimeoutMs ?? (envTimeout > 0 ? envTimeout : 180_000);

  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      bootVm({
        name: `${prefix}-${i}`,
        kernel,
        initrd,
        memoryMiB: opts.memoryMiB ?? 512,
        engine,
        runDir,
        bootTimeoutMs,
        keepLogs,
        hideCommands,
        ...(opts.rssNic ? { rssNic: opts.rssNic } : {}),
        log,
      }),
    ),
  );
  const hosts = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all(hosts.map((h) => h.stop()));
      reaper.unregister(token);
      if (!keepLogs) fs.rmSync(runDir, { recursive: true, force: true });
    })());

  const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await stop();
    const detail = failures.map((e) => e.message).join("\n\n");
    throw new TestHostError(`${failures.length} of ${count} test hosts failed to boot:\n${detail}`, { cause: failures[0] });
  }
  return { hosts, stop };
}
