import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TestHostError } from "./errors";
import type { Log } from "./kernel";
import { esc } from "./qemu";

export type Accel = "auto" | "tcg";
/** What a VM is actually launched with. */
export type Engine = "kvm" | "tcg";

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

function kvmBoots(kernel: string): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "netkit-kvm-probe-"));
  const console = path.join(dir, "console");
  const child = spawn(
    "setpriv",
    ["--pdeathsig", "KILL", "--", "qemu-system-x86_64", "-accel", "kvm", "-cpu", "max", "-machine", "q35", "-m", "128M",
      "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-kernel", kernel,
      "-append", "console=ttyS0 panic=-1", "-chardev", `file,id=con,path=${esc(console)}`, "-serial", "chardev:con"],
    { stdio: "ignore" },
  );
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_MS);
    child.on("error", () => undefined);
    child.on("close", () => {
      clearTimeout(timer);
      let out = "";
      try {
        out = fs.readFileSync(console, "latin1");
      } catch {
        // no output at all
      }
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(out.includes("Linux version"));
    });
  });
}
