import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TestHostError } from "./errors";
import type { Log } from "./kernel";
import { bootArgs, type Engine } from "./qemu";
import { launch } from "./qemu-process";

export type Accel = "auto" | "tcg";

/** NETKIT_VM_ACCEL=tcg forces software emulation (what CI machines without /dev/kvm get). */
export function requestedAccel(requested?: Accel): Accel {
  const env = process.env.NETKIT_VM_ACCEL;
  if (env !== undefined && env !== "" && env !== "auto" && env !== "tcg") {
    throw new TestHostError(`NETKIT_VM_ACCEL must be "auto" or "tcg", not ${JSON.stringify(env)}`);
  }
  return (env as Accel | undefined) || requested || "auto";
}

let probe: Promise<Engine> | undefined;

/**
 * "auto" means KVM when it really runs a guest, else TCG. An accessible
 * /dev/kvm is not enough: nested KVM (e.g. inside a microVM) may abort qemu
 * ("failed to set MSR") or hang the guest silently, and qemu's own
 * `-accel kvm -accel tcg` fallback only covers a missing /dev/kvm. So boot the
 * kernel once under KVM without an initramfs: a working KVM prints the banner
 * and panics (no root) within a second. Decided once per process.
 */
export function chooseEngine(accel: Accel, kernel: string, log: Log): Promise<Engine> {
  if (accel === "tcg") return Promise.resolve("tcg");
  try {
    fs.accessSync("/dev/kvm", fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return Promise.resolve("tcg");
  }
  probe ??= kvmBoots(kernel).then((ok) => {
    if (!ok) log("KVM is present but does not boot a guest here; using TCG (software emulation)");
    return ok ? "kvm" : "tcg";
  });
  return probe;
}

const PROBE_MS = 5000;
/** Not quiet: the banner is what the probe looks for. */
const PROBE_CMDLINE = "console=ttyS0 panic=-1";

/** Boots the kernel under KVM alone (no fallback), without an initramfs, for PROBE_MS at most. */
async function kvmBoots(kernel: string): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "netkit-kvm-probe-"));
  const consoleLog = path.join(dir, "console");
  try {
    const vm = launch(bootArgs({ accels: ["kvm"], memoryMiB: 128, kernel, append: PROBE_CMDLINE, consoleLog }));
    const timer = setTimeout(() => vm.child.kill("SIGKILL"), PROBE_MS);
    await vm.exited;
    clearTimeout(timer);
    return readOrEmpty(consoleLog).includes("Linux version");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "latin1");
  } catch {
    return ""; // no output at all
  }
}
