import * as fs from "fs";
import * as path from "path";
import { TestHostError, tail } from "./errors";
import { fingerprint, generateKey, knownHostsLine } from "./keys";
import type { Log } from "./kernel";
import { scripts } from "./paths";
import { freeLoopbackPort } from "./ports";
import { qemuArgs, RSS_NIC_FIRST_FD, type Engine } from "./qemu";
import { launch, type Launched, stopQemu } from "./qemu-process";
import { qmpHuman, qmpRun } from "./qmp";
import * as reaper from "./reaper";
import { readBanner, sshExec } from "./ssh";

/** One running test-host VM, reachable as root over SSH with a pinned host key. */
export interface TestHost {
  name: string;
  host: "127.0.0.1";
  port: number;
  user: "root";
  /** OpenSSH text of a freshly generated ed25519 client key. */
  privateKey: string;
  privateKeyPath: string;
  /** The guest's public host key: "ssh-ed25519 AAAA…". */
  hostKey: string;
  /** "[127.0.0.1]:PORT ssh-ed25519 AAAA…" (also written to knownHostsPath). */
  knownHostsLine: string;
  knownHostsPath: string;
  /** "SHA256:…" as `ssh-keygen -lf` prints it. */
  hostKeyFingerprint: string;
  /** `uname -r` of the guest. */
  kernelRelease: string;
  /** The guest's serial console (kernel, init and sshd output). */
  logPath: string;
  /** Milliseconds from launching qemu to a successful command over SSH. */
  bootMs: number;
  /**
   * With rssNic: the machine-side netns of its tap ("nkrss"), as a path for `nsenter --net=`
   * (the launcher kept it open in qemu): frames sent out of the tap there arrive on eth1.
   */
  rssNicNetns?: string;
  /**
   * Hard reset, like the reset button: the guest loses everything it held in memory
   * (devices, netns, its tmpfs overlay) and boots again with the same kernel, SSH
   * port and keys. Resolves with the milliseconds until SSH ran a command again.
   */
  reset(): Promise<number>;
  /**
   * Forwards address:port on this machine to the guest's sshd as well, e.g. port 22 of a
   * loopback address of its own, where `ssh-keyscan ADDRESS` and a connection without a port
   * reach it as they reach a real host. Lasts as long as the VM.
   */
  forwardSsh(address: string, port: number): Promise<void>;
  /** Quits qemu (QMP quit, then SIGTERM, then SIGKILL) and removes its files. Idempotent. */
  stop(): Promise<void>;
}

export interface VmOptions {
  name: string;
  kernel: string;
  initrd: string;
  memoryMiB: number;
  engine: Engine;
  /** Per-run temp dir (0700); the VM gets runDir/name. */
  runDir: string;
  bootTimeoutMs: number;
  /** Keep the console log when stopping (everything else is removed). */
  keepLogs: boolean;
  /** Commands removed from the guest's view of the host root (see guest/init.sh). */
  hideCommands: string[];
  /** A second NIC (eth1): virtio-net with RSS and this many queue pairs, on a tap of its own. */
  rssNic?: { queues: number };
  log: Log;
}

const PORT_ATTEMPTS = 3;
/**
 * Boots of one VM whose guest kernel crashed before SSH came up. Under TCG a kernel that boots
 * every other time has crashed at start-up with state no CPU could have (a double fault right
 * after a cmpxchg16b, EFLAGS 0x8103aa42, Debian's 6.12 with four VMs booting at once): an
 * emulator fault, not the kernel's. A second crash fails the boot as any other exit does.
 */
const CRASH_ATTEMPTS = 2;

/** Boots one VM and resolves once `uname -r` ran over SSH with the pinned host key. */
export async function bootVm(o: VmOptions): Promise<TestHost> {
  const dir = path.join(o.runDir, o.name);
  const share = path.join(dir, "share"); // the guest's read-only "vmconfig" 9p share
  fs.mkdirSync(share, { recursive: true, mode: 0o700 });
  const [hostKeys, clientKeys] = await Promise.all([
    generateKey(share, "ssh_host_ed25519_key", `netkit-testhost ${o.name}`),
    generateKey(dir, "id_ed25519", `netkit-testhost client for ${o.name}`),
  ]);
  fs.writeFileSync(path.join(share, "authorized_keys"), `${clientKeys.publicKey}\n`, { mode: 0o600 });
  fs.writeFileSync(path.join(share, "hostname"), `${o.name}\n`);
  fs.copyFileSync(scripts.guestInit(), path.join(share, "init.sh"));
  if (o.hideCommands.length > 0) fs.writeFileSync(path.join(share, "hide"), `${o.hideCommands.join("\n")}\n`);

  const logPath = path.join(dir, "console.log");
  const qmpSocket = path.join(dir, "qmp.sock");
  const token = {};
  reaper.register(token, undefined, [dir]);

  let vm: Launched | undefined;
  let port = 0;
  const started = Date.now();
  try {
    // qemu binds the forwarded port itself; another process may grab it
    // between our probe and qemu's bind, so retry with a new port.
    for (let attempt = 1, crashes = 0; ; attempt++) {
      port = await freeLoopbackPort();
      fs.rmSync(logPath, { force: true });
      vm = launch(qemuArgs({ ...o, sshPort: port, configDir: share, consoleLog: logPath, qmpSocket }), o.rssNic ? { tapQueues: o.rssNic.queues } : {});
      reaper.register(token, vm.child.pid, [dir]);
      const ok = await waitForBannerOrExit(o.name, vm, port, started, o.bootTimeoutMs, logPath);
      if (ok) break;
      const next = afterFailedBoot({ console: readConsole(logPath), exit: vm.describeExit(), attempt, crashes });
      if (next.kind === "fail") throw bootError(o.name, `qemu exited before SSH came up: ${vm.describeExit()}`, logPath);
      if (next.kind === "crashed") {
        crashes++;
        // Said on stderr as well: a crash is worth seeing even where nobody passed a log.
        const note = `${o.name}: the guest kernel crashed while booting (${next.crash}); booting it again`;
        o.log(note);
        process.stderr.write(`[testhost] ${note}\n`);
        continue;
      }
      o.log(`${o.name}: port ${port} was taken, retrying with another`);
    }

    const target = { host: "127.0.0.1", port, user: "root", privateKey: clientKeys.privateKey, hostKey: hostKeys.publicKey };
    const kernelRelease = await unameOverSsh(o.name, target, vm, started + o.bootTimeoutMs, logPath);
    const bootMs = Date.now() - started;
    o.log(`${o.name}: ${kernelRelease} ready for SSH on 127.0.0.1:${port} after ${(bootMs / 1000).toFixed(1)} s (${o.engine})`);

    const knownHosts = knownHostsLine("127.0.0.1", port, hostKeys.publicKey);
    const knownHostsPath = path.join(dir, "known_hosts");
    fs.writeFileSync(knownHostsPath, `${knownHosts}\n`);
    const running = vm;
    let stopping: Promise<void> | undefined;
    return {
      name: o.name,
      host: "127.0.0.1",
      port,
      user: "root",
      privateKey: clientKeys.privateKey,
      privateKeyPath: clientKeys.privateKeyPath,
      hostKey: hostKeys.publicKey,
      knownHostsLine: knownHosts,
      knownHostsPath,
      hostKeyFingerprint: fingerprint(hostKeys.publicKey),
      kernelRelease,
      logPath,
      bootMs,
      ...(o.rssNic ? { rssNicNetns: `/proc/${running.child.pid}/fd/${RSS_NIC_FIRST_FD + o.rssNic.queues}` } : {}),
      reset: async () => {
        const t0 = Date.now();
        const seen = fileSize(logPath);
        // -no-reboot turns every reset into an exit (so that a panic ends the VM). Allow
        // resets until the guest is up again: after a warm reset SeaBIOS resets once more.
        const ok = await qmpRun(qmpSocket, [{ execute: "set-action", arguments: { reboot: "reset" } }, { execute: "system_reset" }]);
        if (!ok) throw new TestHostError(`test host ${o.name}: QMP system_reset failed`);
        if (!(await waitForBannerOrExit(o.name, running, port, t0, o.bootTimeoutMs, logPath, seen))) {
          throw bootError(o.name, `qemu exited during the reset: ${running.describeExit()}`, logPath);
        }
        await unameOverSsh(o.name, target, running, t0 + o.bootTimeoutMs, logPath);
        if (!(await qmpRun(qmpSocket, [{ execute: "set-action", arguments: { reboot: "shutdown" } }]))) {
          throw new TestHostError(`test host ${o.name}: QMP set-action reboot=shutdown failed after the reset`);
        }
        o.log(`${o.name}: reset, SSH ready again after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return Date.now() - t0;
      },
      forwardSsh: async (address, fwdPort) => {
        if (!/^127\.\d+\.\d+\.\d+$/.test(address) || !Number.isInteger(fwdPort)) throw new TestHostError(`forwardSsh: ${address}:${fwdPort} is not a loopback address and port`);
        // HMP prints nothing on success and the reason otherwise (the address taken, …).
        const out = await qmpHuman(qmpSocket, `hostfwd_add net0 tcp:${address}:${fwdPort}-:22`);
        if (out === undefined || out.trim() !== "") throw new TestHostError(`test host ${o.name}: forwarding ${address}:${fwdPort} failed: ${out?.trim() || "QMP did not answer"}`);
      },
      stop: () => (stopping ??= teardown(running, qmpSocket, dir, logPath, o.keepLogs, token)),
    };
  } catch (err) {
    if (vm) await teardown(vm, qmpSocket, dir, logPath, o.keepLogs, token);
    else {
      reaper.unregister(token);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    throw err;
  }
}

/** `uname -r` over SSH, retried until it works (sshd may accept before it can run commands). */
function unameOverSsh(name: string, target: Parameters<typeof sshExec>[0], vm: Launched, deadline: number, logPath: string): Promise<string> {
  return retryUntil(deadline, vm, async () => {
    const r = await sshExec(target, "uname -r", { timeoutMs: 30_000 });
    if (r.code !== 0) throw new TestHostError(`'uname -r' exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  }).catch((err: unknown) => {
    throw bootError(name, `SSH answered but running a command failed: ${err instanceof Error ? err.message : String(err)}`, logPath, err);
  });
}

/**
 * true once the guest's sshd sends its banner; false if qemu exited first.
 * Probes start when the console shows sshd listening: before that, qemu's
 * forward accepts and then holds connections the guest does not answer yet,
 * so early probes only stall. A slow probe every 2 s covers a missed line.
 */
async function waitForBannerOrExit(name: string, vm: Launched, port: number, started: number, timeoutMs: number, logPath: string, consoleFrom = 0): Promise<boolean> {
  const deadline = started + timeoutMs;
  let lastProbe = Date.now();
  for (;;) {
    if (vm.hasExited()) return false;
    const listening = consoleSays(logPath, SSHD_LISTENING, consoleFrom);
    if (listening || Date.now() - lastProbe > 2000) {
      lastProbe = Date.now();
      try {
        // Once sshd listens, give it time: it re-executes itself for every connection,
        // which takes seconds under emulation on a busy machine.
        await readBanner(port, listening ? 15_000 : 1000);
        return true;
      } catch {
        // not up yet
      }
    }
    if (Date.now() > deadline) {
      throw bootError(name, `no SSH banner on 127.0.0.1:${port} within ${timeoutMs / 1000} s`, logPath);
    }
    await Promise.race([sleep(50), vm.exited]);
  }
}

/** What `sshd -D -e` prints once it accepts connections. */
const SSHD_LISTENING = "Server listening on";

/** Whether the console log, from byte `from` on, contains text. */
function consoleSays(logPath: string, text: string, from = 0): boolean {
  try {
    return fs.readFileSync(logPath, "latin1").includes(text, from);
  } catch {
    return false;
  }
}

function fileSize(p: string): number {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
}

/** Retries fn until it succeeds, the deadline passes or qemu exits; host-key mismatches fail at once. */
async function retryUntil<T>(deadline: number, vm: Launched, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const level = (err as { level?: string }).level;
      const fatal = level === "host-key" || level === "client-authentication" || vm.hasExited() || Date.now() > deadline;
      if (fatal) throw err;
      await sleep(300);
    }
  }
}

async function teardown(vm: Launched, qmpSocket: string, dir: string, logPath: string, keepLogs: boolean, token: object) {
  await stopQemu(vm, qmpSocket);
  reaper.unregister(token);
  removeDir(dir, keepLogs ? logPath : undefined);
}

/** Removes dir, except `keep` (the console log holds no secrets). */
function removeDir(dir: string, keep?: string): void {
  if (!keep || !fs.existsSync(keep)) return fs.rmSync(dir, { recursive: true, force: true });
  for (const entry of fs.readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (p !== keep) fs.rmSync(p, { recursive: true, force: true });
  }
}

function readConsole(logPath: string): string {
  try {
    return fs.readFileSync(logPath, "utf8");
  } catch {
    return "";
  }
}

/**
 * What to do when qemu exited before SSH came up: boot again once if the guest kernel crashed
 * (an oops or a BUG in the console; `crash` is its first line), or with another port if qemu
 * could not bind the one chosen; else fail. A panic without either is the guest's own decision
 * (its init exited, no root), the same on every boot: it fails at once.
 */
export function afterFailedBoot(f: { console: string; exit: string; attempt: number; crashes: number }): { kind: "crashed"; crash: string } | { kind: "port" } | { kind: "fail" } {
  const crash = /^.*(?:Oops:|BUG:).*$/m
    .exec(f.console)?.[0]
    ?.replace(/^\[\s*[\d.]+\]\s*/, "")
    .trim();
  if (crash) return f.crashes + 1 < CRASH_ATTEMPTS ? { kind: "crashed", crash } : { kind: "fail" };
  if (f.attempt < PORT_ATTEMPTS && /host forwarding|Could not set up host forward/i.test(f.exit)) return { kind: "port" };
  return { kind: "fail" };
}

function bootError(name: string, what: string, logPath: string, cause?: unknown): TestHostError {
  let log = "(no console output)";
  try {
    log = tail(fs.readFileSync(logPath, "utf8"), 40) || log;
  } catch {
    // no log yet
  }
  return new TestHostError(`test host ${name}: ${what}\n--- last lines of ${logPath} ---\n${log}`, { cause });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
