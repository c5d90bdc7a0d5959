// qemu's command lines: one direct kernel boot shared by every qemu here (the test hosts and
// accel.ts's KVM probe), and the test host's devices on top. This module imports nothing of
// the test host's own, so whatever starts qemu may depend on it.

/** What a VM is actually launched with. */
export type Engine = "kvm" | "tcg";

/** qemu option values separate fields with commas; a literal comma is written twice. */
export function esc(value: string): string {
  return value.replace(/,/g, ",,");
}

/** A kernel booted directly on the one machine every qemu here emulates, its console written to a file. */
export interface BootSpec {
  /** qemu's -accel list, first choice first: qemu falls back along it. */
  accels: readonly Engine[];
  memoryMiB: number;
  kernel: string;
  /** Without one the kernel panics for want of a root (the KVM probe's quick end). */
  initrd?: string;
  /** The kernel command line. */
  append: string;
  consoleLog: string;
}

/** The machine and the boot: q35, one vCPU, no default devices, no display, exit instead of reboot. */
export function bootArgs(b: BootSpec): string[] {
  // prettier-ignore
  return [
    "-machine", "q35",
    ...b.accels.flatMap((a) => ["-accel", a]),
    "-cpu", "max",
    // One vCPU: the kernel has no ACPI and SeaBIOS' MP table lists only the
    // boot CPU; several VMs also share a 2-core machine.
    "-smp", "1",
    "-m", `${b.memoryMiB}M`,
    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
    "-kernel", b.kernel, // taken verbatim (no option parsing)
    ...(b.initrd !== undefined ? ["-initrd", b.initrd] : []),
    "-append", b.append,
    "-chardev", `file,id=console,path=${esc(b.consoleLog)}`,
    "-serial", "chardev:console",
  ];
}

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
  /**
   * A second NIC for NIC-side tests: virtio-net with `queues` queue pairs and RSS, on a
   * multi-queue tap whose queue fds the launcher opened (qemu-process.ts, fds 3 …).
   */
  rssNic?: { queues: number };
}

/** The fds a launcher hands qemu for the RSS test NIC's tap queues (qemu-process.ts opens them). */
export const RSS_NIC_FIRST_FD = 3;

export const KERNEL_CMDLINE = [
  "console=ttyS0",
  "quiet",
  "panic=-1", // reboot at once on panic; with -no-reboot qemu then exits
  "8250.nr_uarts=1",
  "dummy.numdummies=0", // no stray dummy0 in the guest
  // A guest starved of CPU (emulation on a busy machine) can miss the IO-APIC timer check of
  // early boot and panic ("IO-APIC + timer doesn't work"); a virtual machine's timer is fine.
  "no_timer_check",
  "rdinit=/init",
].join(" ");

/** The qemu-system-x86_64 arguments (without the binary) for one test host. */
export function qemuArgs(s: QemuSpec): string[] {
  const accels: Engine[] = s.engine === "tcg" ? ["tcg"] : ["kvm", "tcg"]; // kvm, else fall back to tcg
  const boot = bootArgs({ accels, memoryMiB: s.memoryMiB, kernel: s.kernel, initrd: s.initrd, append: KERNEL_CMDLINE, consoleLog: s.consoleLog });
  // prettier-ignore
  return [
    "-name", esc(s.name),
    ...boot,
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
    ...(s.rssNic ? rssNicArgs(s.rssNic.queues) : []),
  ];
}

/**
 * virtio-net with RSS (`rss=on`) and `queues` queue pairs (`mq=on`), on the multi-queue tap the
 * launcher opened: without vhost, qemu steers received packets by the guest's indirection
 * table itself. The guest sees it as its second NIC, eth1.
 */
export function rssNicArgs(queues: number): string[] {
  const fds = Array.from({ length: queues }, (_, i) => RSS_NIC_FIRST_FD + i).join(":");
  // prettier-ignore
  return [
    "-netdev", `tap,id=net1,fds=${fds},vhost=off`,
    "-device", `virtio-net-pci,netdev=net1,mq=on,vectors=${2 * queues + 2},rss=on,romfile=`,
  ];
}
