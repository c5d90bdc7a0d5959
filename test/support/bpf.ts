// BPF on the test host, done the way an operator's tools would (bpftool, a loader such as
// Cilium's): tiny tc programs loaded and pinned, links detached or attached by hand. Python's
// standard library on the guest makes the bpf() calls, so the tests need no clang or bpftool.
import type { TestHost } from "../../testhost";
import { onHost } from "./shared-host";

/** netkit's verdicts (include/uapi/linux/if_link.h enum netkit_action). */
export const NETKIT_PASS = 0;
export const NETKIT_DROP = 2;

const PRELUDE = `
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
def bpf(cmd, attr):
    r = libc.syscall(ctypes.c_long(NR), ctypes.c_long(cmd), attr, ctypes.c_long(len(attr.raw)))
    if r < 0:
        e = ctypes.get_errno()
        sys.exit("bpf cmd %d: %s" % (cmd, os.strerror(e)))
    return r
def obj(cmd, path, fd=0):
    p = ctypes.create_string_buffer(path.encode())
    a = ctypes.create_string_buffer(20)
    struct.pack_into("=QI", a, 0, ctypes.addressof(p), fd)
    return bpf(cmd, a)
`;

/** r0 = verdict; exit: a sched_cls program that gives every packet `verdict`. */
const LOAD = `${PRELUDE}
pin, verdict, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
insns = struct.pack("<BBhi", 0xb7, 0, 0, verdict) + struct.pack("<BBhi", 0x95, 0, 0, 0)
ib = ctypes.create_string_buffer(insns, len(insns))
lic = ctypes.create_string_buffer(b"GPL")
a = ctypes.create_string_buffer(128)
struct.pack_into("=IIQQ", a, 0, 3, 2, ctypes.addressof(ib), ctypes.addressof(lic))
a[48:48 + len(name)] = name.encode()
fd = bpf(5, a)
if os.path.exists(pin):
    os.unlink(pin)
obj(6, pin, fd)
`;

/** The command that loads a program giving every packet `verdict` and pins it at `pin`. */
export const loadProgramArgv = (pin: string, verdict: number, name: string) => ["python3", "-c", LOAD, pin, String(verdict), name];

/** Loads a program that gives every packet `verdict` and pins it at `pin` (replacing what was there). */
export async function loadProgram(host: TestHost, pin: string, verdict: number, name: string): Promise<void> {
  const r = await onHost(host, loadProgramArgv(pin, verdict, name));
  if (r.exitCode !== 0) throw new Error(`loading ${name} at ${pin}: ${r.stderr.toString()}`);
}

const DETACH = `${PRELUDE}
fd = obj(7, sys.argv[1])
a = ctypes.create_string_buffer(8)
struct.pack_into("=I", a, 0, fd)
bpf(34, a)
`;

/** The command that detaches the link pinned at `path`, as `bpftool link detach pinned PATH` does. */
export const detachLinkArgv = (path: string) => ["python3", "-c", DETACH, path];

/** Detaches the link pinned at `path`. */
export async function detachLink(host: TestHost, path: string): Promise<void> {
  const r = await onHost(host, detachLinkArgv(path));
  if (r.exitCode !== 0) throw new Error(`detaching ${path}: ${r.stderr.toString()}`);
}

const ATTACH = `${PRELUDE}
prog, ifindex, attach_type, link_pin, flags = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
pfd = obj(7, prog)
a = ctypes.create_string_buffer(32)
struct.pack_into("=IIII", a, 0, pfd, ifindex, attach_type, flags)
lfd = bpf(28, a)
obj(6, link_pin, lfd)
`;

/** BPF_F_BEFORE without a relative: the hook's first place (as a loader that wants to run first attaches). */
export const FIRST = 1 << 3;

/** The argv that attaches the program pinned at `prog` to a netkit hook through a link pinned at `linkPin` (`flags`: FIRST, or 0 for last). */
export const attachByHandArgv = (prog: string, ifindex: number, attachType: number, linkPin: string, flags = 0) => [
  "python3",
  "-c",
  ATTACH,
  prog,
  String(ifindex),
  String(attachType),
  linkPin,
  String(flags),
];

/** Attaches the program pinned at `prog` to a netkit hook through a link pinned at `linkPin`: another tool's attachment. */
export async function attachByHand(host: TestHost, prog: string, ifindex: number, attachType: number, linkPin: string, flags = 0): Promise<void> {
  const r = await onHost(host, attachByHandArgv(prog, ifindex, attachType, linkPin, flags));
  if (r.exitCode !== 0) throw new Error(`attaching ${prog}: ${r.stderr.toString()}`);
}

const QUERY = `${PRELUDE}
import json
ifindex, attach_type = int(sys.argv[1]), int(sys.argv[2])
progs = ctypes.create_string_buffer(4 * 64)
links = ctypes.create_string_buffer(4 * 64)
a = ctypes.create_string_buffer(64)
struct.pack_into("=IIIIQ", a, 0, ifindex, attach_type, 0, 0, ctypes.addressof(progs))
struct.pack_into("=I", a, 24, 64)
struct.pack_into("=Q", a, 40, ctypes.addressof(links))
bpf(16, a)
n = struct.unpack_from("=I", a, 24)[0]
print(json.dumps({"progs": list(struct.unpack_from("=%dI" % n, progs, 0)), "links": list(struct.unpack_from("=%dI" % n, links, 0)), "revision": struct.unpack_from("=Q", a, 56)[0]}))
`;

/** What a netkit hook runs, in order, by BPF_PROG_QUERY from the guest's python (not the provider's codec). */
export async function hookRuns(host: TestHost, ifindex: number, attachType: number): Promise<{ progs: number[]; links: number[]; revision: number }> {
  const r = await onHost(host, ["python3", "-c", QUERY, String(ifindex), String(attachType)]);
  if (r.exitCode !== 0) throw new Error(`querying ifindex ${ifindex}: ${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as { progs: number[]; links: number[]; revision: number };
}

const INFO_ID = `${PRELUDE}
fd = obj(7, sys.argv[1])
info = ctypes.create_string_buffer(96)
a = ctypes.create_string_buffer(16)
struct.pack_into("=IIQ", a, 0, fd, 96, ctypes.addressof(info))
bpf(15, a)
print(struct.unpack_from("=I", info, 4)[0])
`;

/** The id of the program or link pinned at `pin` (bpf_prog_info and bpf_link_info both hold it at offset 4). */
export async function pinnedId(host: TestHost, pin: string): Promise<number> {
  const r = await onHost(host, ["python3", "-c", INFO_ID, pin]);
  if (r.exitCode !== 0) throw new Error(`reading ${pin}: ${r.stderr.toString()}`);
  return Number(r.stdout.toString().trim());
}

/** One ICMP echo from a raw socket (the guests have python3, not ping): exit 0 if answered within 2 s. */
const PING = `
import socket, struct, sys, time
addr = sys.argv[1]
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF
body = struct.pack("!BBHHH", 8, 0, 0, 0x4E4B, 1) + b"netkit-test"
pkt = body[:2] + struct.pack("!H", csum(body + b"\\0")) + body[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(pkt, (addr, 0))
end = time.monotonic() + 2
while time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        data, src = s.recvfrom(2048)
    except socket.timeout:
        break
    ihl = (data[0] & 15) * 4
    if src[0] == addr and data[ihl] == 0 and data[ihl + 4:ihl + 6] == b"NK":
        sys.exit(0)
sys.exit(1)
`;

/** Whether an ICMP echo from `netns` to `addr` is answered (one try, two seconds). */
export async function pings(host: TestHost, netns: string, addr: string): Promise<boolean> {
  const r = await onHost(host, ["ip", "netns", "exec", netns, "python3", "-c", PING, addr]);
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`ping from ${netns} to ${addr} could not run: ${r.stderr.toString()}`);
  return r.exitCode === 0;
}

/** The entries of a bpffs directory ([] when it does not exist). */
export async function bpffsEntries(host: TestHost, dir: string): Promise<string[]> {
  const r = await onHost(host, ["sh", "-c", 'ls -1 "$1" 2>/dev/null || true', "sh", dir]);
  return r.stdout.toString().split("\n").filter(Boolean).sort();
}
