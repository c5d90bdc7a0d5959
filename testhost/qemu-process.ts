import { type ChildProcess, spawn } from "child_process";
import { tail } from "./errors";
import { qmpQuit } from "./qmp";

const QEMU = "qemu-system-x86_64";

/** A qemu process and what is known about its end. */
export interface Launched {
  child: ChildProcess;
  /** Resolves when the process is gone (never rejects). */
  exited: Promise<void>;
  hasExited(): boolean;
  /** "exit status 1; qemu said: …" for error messages. */
  describeExit(): string;
}

/**
 * Opens the queues of a multi-queue tap in a network namespace of its own (nothing on the
 * machine sees it; the tap's sockets keep that netns alive) as fds 3 …, then runs the command
 * with them, back in the machine's netns so that qemu's forwarded SSH port stays on loopback.
 * The netns itself is kept open as the fd after the queues, for a test that sends traffic in.
 */
const TAP_LAUNCHER = String.raw`
import ctypes, fcntl, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
home = os.open("/proc/self/ns/net", os.O_RDONLY)
if libc.unshare(0x40000000) != 0: sys.exit("unshare(CLONE_NEWNET): errno %d" % ctypes.get_errno())
queues, first = int(sys.argv[1]), 3
fds = []
for i in range(queues):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    # IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR on tap "nkrss"
    fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH22x", b"nkrss", 0x2 | 0x1000 | 0x100 | 0x4000))
    fds.append(fd)
ns = os.open("/proc/self/ns/net", os.O_RDONLY)
if libc.setns(home, 0x40000000) != 0: sys.exit("setns back: errno %d" % ctypes.get_errno())
for i, fd in enumerate(fds + [ns]):
    os.dup2(fd, first + i)
for fd in set(fds + [ns, home]) - set(range(first, first + len(fds) + 1)):
    os.close(fd)
for i in range(len(fds) + 1):
    os.set_inheritable(first + i, True)
os.execvp(sys.argv[2], sys.argv[2:])
`;

/**
 * Starts qemu under `setpriv --pdeathsig KILL`: it dies with us, even if node is SIGKILLed.
 * `tapQueues`: first opens a multi-queue tap's queues for it (TAP_LAUNCHER), as fds 3 ….
 */
export function launch(args: string[], opts: { tapQueues?: number } = {}): Launched {
  const run = ["setpriv", "--pdeathsig", "KILL", "--", QEMU, ...args];
  const child = opts.tapQueues
    ? spawn("python3", ["-I", "-S", "-c", TAP_LAUNCHER, String(opts.tapQueues), ...run], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(run[0]!, run.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-8192));
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  let exitInfo: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on("error", (err) => {
      exitInfo = `cannot start ${QEMU} under setpriv: ${err.message}`;
      resolve();
    });
    child.on("close", (code, signal) => {
      exitInfo ??= signal ? `killed by ${signal}` : `exit status ${code}`;
      resolve();
    });
  });
  return {
    child,
    exited,
    hasExited: () => exitInfo !== undefined,
    describeExit: () => `${exitInfo ?? "still running"}${output.trim() ? `; qemu said: ${tail(output, 10)}` : ""}`,
  };
}

/** Ends qemu: QMP quit, then SIGTERM, then SIGKILL, each given 3 s; resolves once it is gone. */
export async function stopQemu(vm: Launched, qmpSocket: string): Promise<void> {
  if (vm.hasExited()) return;
  await qmpQuit(qmpSocket);
  if (await exitsWithin(vm, 3000)) return;
  vm.child.kill("SIGTERM");
  if (await exitsWithin(vm, 3000)) return;
  vm.child.kill("SIGKILL");
  await vm.exited;
}

function exitsWithin(vm: Launched, ms: number): Promise<boolean> {
  return Promise.race([vm.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}
