import type { Engine } from "./accel";

/** Everything one VM's qemu command line depends on. */
export interface QemuSpec {
  name: string;
  kernel: string;
  initrd: string;
  memoryMiB: number;
  /** kvm still lists tcg as qemu's fallback; tcg is software emulation only. */
  engine: Engine;
  /** Loopback port forwarded to the guest's sshd. */
  sshPort: number;
  /** Host directory shared read-only with the guest as 9p tag "vmconfig". */
  configDir: string;
  consoleLog: string;
  qmpSocket: string;
}

/** qemu option values separate fields with commas; a literal comma is written twice. */
export function esc(value: string): string {
  return value.replace(/,/g, ",,");
}

export const KERNEL_CMDLINE = [
  "console=ttyS0",
  "quiet",
  "panic=-1", // reboot at once on panic; with -no-reboot qemu then exits
  "8250.nr_uarts=1",
  "dummy.numdummies=0", // no stray dummy0 in the guest
  "rdinit=/init",
].join(" ");

/** The qemu-system-x86_64 arguments (without the binary) for one test host. */
export function qemuArgs(s: QemuSpec): string[] {
  const accel = s.engine === "tcg" ? ["-accel", "tcg"] : ["-accel", "kvm", "-accel", "tcg"]; // kvm, else fall back to tcg
  return [
    "-name", esc(s.name),
    "-machine", "q35",
    ...accel,
    "-cpu", "max",
    // One vCPU: the kernel has no ACPI and SeaBIOS' MP table lists only the
    // boot CPU; several VMs also share a 2-core machine.
    "-smp", "1",
    "-m", `${s.memoryMiB}M`,
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-kernel", s.kernel, // taken verbatim (no option parsing)
    "-initrd", s.initrd,
    "-append", KERNEL_CMDLINE,
    "-chardev", `file,id=console,path=${esc(s.consoleLog)}`,
    "-serial", "chardev:console",
    "-chardev", `socket,id=qmp,path=${esc(s.qmpSocket)},server=on,wait=off`,
    "-mon", "chardev=qmp,mode=control",
    // The host's own / as the guest's read-only lower layer. multidevs=remap
    // keeps inode numbers unique across the host's mount points.
    "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
    "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
    "-fsdev", `local,id=vmconfig,path=${esc(s.configDir)},security_model=none,readonly=on`,
    "-device", "virtio-9p-pci,fsdev=vmconfig,mount_tag=vmconfig",
    // restrict=on: the guest reaches no network at all; only the forward in.
    "-netdev", `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${s.sshPort}-:22`,
    // romfile= skips the iPXE option ROM: nothing boots from the network.
    "-device", "virtio-net-pci,netdev=net0,romfile=",
    "-device", "virtio-rng-pci",
  ];
}
