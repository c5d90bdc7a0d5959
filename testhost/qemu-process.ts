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

/** Starts qemu under `setpriv --pdeathsig KILL`: it dies with us, even if node is SIGKILLed. */
export function launch(args: string[]): Launched {
  const child = spawn("setpriv", ["--pdeathsig", "KILL", "--", QEMU, ...args], { stdio: ["ignore", "pipe", "pipe"] });
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
