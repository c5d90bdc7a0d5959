// Helpers for fault tests: an independent view of a host's netkit devices (iproute2's
// JSON, not our codec), SSH outages, and waiting for a condition.
import assert from "node:assert/strict";
import type { TestHost } from "../../testhost";
import { onHost } from "./shared-host";

export interface IpLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  up: boolean;
  kind?: string;
}

/** `ip -j -d link show` on the host (or in a netns): every device with its kind. */
export async function ipLinks(host: TestHost, netns?: string): Promise<IpLink[]> {
  const r = await onHost(host, ["ip", ...(netns ? ["-n", netns] : []), "-j", "-d", "link", "show"]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const links = JSON.parse(r.stdout.toString()) as Array<{ ifname: string; ifindex: number; mtu: number; flags: string[]; linkinfo?: { info_kind?: string } }>;
  return links.map((l) => ({ ifname: l.ifname, ifindex: l.ifindex, mtu: l.mtu, up: l.flags.includes("UP"), ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}) }));
}

/** Sorted names of the netkit devices on the host (or in a netns). */
export async function netkitNames(host: TestHost, netns?: string): Promise<string[]> {
  return (await ipLinks(host, netns))
    .filter((l) => l.kind === "netkit")
    .map((l) => l.ifname)
    .sort();
}

/**
 * Kills every sshd in the guest (the listener and each connection's process) and keeps
 * the SSH server down for `seconds` (guest/init.sh waits while /run/netkit-sshd-hold
 * exists). Runs detached in the guest, since it kills the session that starts it.
 * Armed now, it strikes the moment `whenExists` appears in the guest (polled there every
 * 20 ms, for at most 5 minutes), so that a fault lands among operations that take
 * milliseconds each rather than a test's round trip later. disarmOutages() cancels one
 * that has not struck.
 */
export async function sshdOutage(host: TestHost, seconds: number, whenExists: string): Promise<void> {
  const script =
    'exec </dev/null >/dev/null 2>&1; n=0; while [ ! -e "$2" ]; do n=$((n+1)); [ "$n" -gt 15000 ] && exit 0; sleep 0.02; done; ' +
    'touch /run/netkit-sshd-hold; pkill -x sshd; sleep "$1"; rm -f /run/netkit-sshd-hold';
  const r = await onHost(host, ["setsid", "-f", "sh", "-c", script, OUTAGE, String(seconds), whenExists]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
}

/** The outage script's $0, by which disarmOutages finds it. */
const OUTAGE = "netkit-sshd-outage";

/** Cancels any armed outage (sshdOutage's whenExists) and lets sshd start again. */
export async function disarmOutages(host: TestHost): Promise<void> {
  await onHost(host, ["sh", "-c", `pkill -f '^sh -c .* ${OUTAGE} ' ; rm -f /run/netkit-sshd-hold; true`]);
}

/** Resolves once fn() returns true (errors count as false); fails after timeoutMs. */
export async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 120_000, everyMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once a command runs over SSH again (after an outage or a reset). */
export function sshAnswers(host: TestHost, timeoutMs = 180_000): Promise<void> {
  return waitFor(`SSH on ${host.name}`, async () => (await onHost(host, ["true"])).exitCode === 0, timeoutMs, 1000);
}

/** A long-lived relay (relay.py serve) on a host, and the sshd process that carries its bytes. */
export interface SessionRelay {
  relay: number;
  sshd: number;
}

// Run in the guest with python3: `find` lists the serve relays with their nearest sshd
// ancestor; `pending PID FD` prints the bytes waiting in the pipe that is fd FD of PID.
const GUEST_RELAYS = `
import fcntl, json, os, struct, sys, termios
def stat(pid):
    s = open("/proc/%d/stat" % pid).read()
    return s[s.index("(") + 1:s.rindex(")")], int(s[s.rindex(")") + 2:].split()[1])
if sys.argv[1] == "find":
    found = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = open("/proc/%s/cmdline" % p, "rb").read().split(b"\\0")[:-1]
        except OSError:
            continue
        if argv[:4] == [b"python3", b"-I", b"-S", b"-c"] and argv[-1] == b"serve":
            pid = int(p)
            while pid > 1 and stat(pid)[0] != "sshd":
                pid = stat(pid)[1]
            found.append({"relay": int(p), "sshd": pid})
    print(json.dumps(found))
else:
    fd = os.open("/proc/%s/fd/%s" % (sys.argv[2], sys.argv[3]), os.O_RDONLY | os.O_NONBLOCK)
    print(struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\\0\\0\\0\\0"))[0])
`;

/** The long-lived relays running on the host (one per provider session with a relay). */
export async function sessionRelays(host: TestHost): Promise<SessionRelay[]> {
  const r = await onHost(host, ["python3", "-c", GUEST_RELAYS, "find"]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  return JSON.parse(r.stdout.toString()) as SessionRelay[];
}

/** Bytes written to the pipe that is fd `fd` of process `pid` and not yet read. */
export async function pipeBacklog(host: TestHost, pid: number, fd: 0 | 1): Promise<number> {
  const r = await onHost(host, ["python3", "-c", GUEST_RELAYS, "pending", String(pid), String(fd)]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  return Number(r.stdout.toString());
}

/** Sends `signal` (STOP, CONT, KILL) to processes in the guest. */
export async function signalOnHost(host: TestHost, signal: "STOP" | "CONT" | "KILL", ...pids: number[]): Promise<void> {
  const r = await onHost(host, ["kill", `-${signal}`, ...pids.map(String)]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
}
