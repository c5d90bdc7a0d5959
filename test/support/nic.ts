// A NIC read back with the kernel's own tools, not the provider's codec: Debian's `ethtool`
// (NETKIT_ETHTOOL, unpacked into the cache; the test host sees it through its 9p root) for
// channels, rings and RSS, and the kernel's netdev spec through a few lines of python3 for
// NAPI settings. Also the consumers a test host can make: an AF_XDP socket bound to a queue
// (copy mode: every driver takes it, and the kernel registers it on the queue like any).
import assert from "node:assert/strict";
import type { TestHost } from "../../testhost";
import { onHost, toolOnHost } from "./shared-host";

/** The cache's ethtool on the test host (see toolOnHost). */
export function ethtoolPath(host: TestHost): Promise<string> {
  const local = process.env.NETKIT_ETHTOOL;
  if (!local) throw new Error("NETKIT_ETHTOOL is not set: run the tests through `npm test`, which provides the kernel's ethtool");
  return toolOnHost(host, local, "/tmp/netkit-ethtool");
}

/** `ethtool ARGS` on the host; returns stdout, or throws with stderr. */
export async function ethtool(host: TestHost, ...args: string[]): Promise<string> {
  const r = await onHost(host, [await ethtoolPath(host), ...args]);
  assert.equal(r.exitCode, 0, `ethtool ${args.join(" ")}: ${r.stderr.toString()}${r.stdout.toString()}`);
  return r.stdout.toString();
}

/** `ethtool ARGS`'s failure: its stderr (the kernel's message), asserting it failed. */
export async function ethtoolFails(host: TestHost, ...args: string[]): Promise<string> {
  const r = await onHost(host, [await ethtoolPath(host), ...args]);
  assert.notEqual(r.exitCode, 0, `ethtool ${args.join(" ")} was expected to fail: ${r.stdout.toString()}`);
  return r.stderr.toString() + r.stdout.toString();
}

/** The "Current hardware settings" value of `label` in `ethtool -l`/`-g` output. */
function current(out: string, label: string): string | undefined {
  const cur = out.split(/Current hardware settings:/)[1] ?? "";
  return new RegExp(`^${label}:\\s*(\\S+)`, "m").exec(cur)?.[1];
}

export interface EthtoolView {
  combined?: number;
  rxChannels?: number;
  rxRing?: number;
  tcpDataSplit?: string;
  hdsThresh?: number;
}

/** Channels and rings as `ethtool -l` and `ethtool -g` print them. */
export async function nicSettings(host: TestHost, nic: string): Promise<EthtoolView> {
  const l = await ethtool(host, "-l", nic);
  const g = await ethtool(host, "-g", nic);
  const num = (v: string | undefined) => (v === undefined || v === "n/a" ? undefined : Number(v));
  const v: EthtoolView = {};
  const set = <K extends keyof EthtoolView>(k: K, x: EthtoolView[K]) => x !== undefined && x !== "n/a" && (v[k] = x);
  set("combined", num(current(l, "Combined")));
  set("rxChannels", num(current(l, "RX")));
  set("rxRing", num(current(g, "RX")));
  set("tcpDataSplit", current(g, "TCP data split"));
  set("hdsThresh", num(current(g, "HDS thresh")));
  return v;
}

/** The RSS indirection table as `ethtool -x` prints it (bucket → queue). */
export async function rssTable(host: TestHost, nic: string): Promise<number[]> {
  const out = await ethtool(host, "-x", nic);
  const table: number[] = [];
  for (const line of out.split("\n")) {
    const m = /^\s*\d+:\s+([\d\s]+)$/.exec(line);
    if (m) table.push(...m[1]!.trim().split(/\s+/).map(Number));
  }
  return table;
}

/** Each queue's share of an RSS table. */
export function shares(table: number[]): number[] {
  const top = Math.max(-1, ...table);
  const out = new Array<number>(top + 1).fill(0);
  for (const q of table) out[q]! += 1;
  return out;
}

// The netdev spec's own view, in plain python3 generic netlink on the host: "dump IFINDEX"
// prints each NAPI of a device (id, defer-hard-irqs, gro-flush-timeout, irq-suspend-timeout,
// threaded); "set ID DEFER GRO" is napi-set as an operator's tool sends it; "qstats IFINDEX"
// prints each RX queue's packet count (qstats-get, scope queue).
export const NAPI_TOOL = String.raw`
import socket, struct, sys
def attrs(b):
    out, off = {}, 0
    while off + 4 <= len(b):
        ln, t = struct.unpack_from("=HH", b, off)
        out[t & 0x3fff] = b[off + 4:off + ln]
        off += (ln + 3) & ~3
    return out
s = socket.socket(16, socket.SOCK_RAW, 16)
def ask(fam, cmd, a, flags):
    msg = struct.pack("=BBH", cmd, 1, 0) + a
    s.send(struct.pack("=IHHII", 16 + len(msg), fam, flags, 1, 0) + msg)
    out = []
    while True:
        data = s.recv(65536); off = 0
        while off < len(data):
            ln, typ = struct.unpack_from("=IH", data, off)
            if typ in (2, 3):
                err = struct.unpack_from("=i", data, off + 16)[0]
                if err: sys.exit("netlink error %d" % -err)
                return out
            out.append(attrs(data[off + 20:off + ln])); off += (ln + 3) & ~3
name = b"netdev\0"
fam = struct.unpack_from("=H", ask(16, 3, struct.pack("=HH", 4 + len(name), 2) + name + b"\0" * (-len(name) % 4), 5)[0][1])[0]
u = lambda b: int.from_bytes(b, "little")
if sys.argv[1] == "qstats":
    # qstats-get (12), scope queue: each RX queue's packets
    for m in ask(fam, 12, struct.pack("=HHI", 8, 1, int(sys.argv[2])) + struct.pack("=HHI", 8, 4, 1), 0x301):
        if u(m.get(2, b"\1\0\0\0")) == 0:
            print(u(m[3]), u(m.get(8, b"\0")))
elif sys.argv[1] == "dump":
    for n in ask(fam, 11, struct.pack("=HHI", 8, 1, int(sys.argv[2])), 0x301):
        print(u(n[2]), u(n.get(5, b"\0")), u(n.get(6, b"\0")), u(n.get(7, b"\0")), u(n.get(8, b"\0")))
else:
    a = struct.pack("=HHI", 8, 2, int(sys.argv[2]))
    if sys.argv[3] != "-": a += struct.pack("=HHI", 8, 5, int(sys.argv[3]))
    if sys.argv[4] != "-": a += struct.pack("=HHI", 8, 6, int(sys.argv[4]))
    ask(fam, 14, a, 5)
`;

export interface NapiView {
  deferHardIrqs: number;
  groFlushTimeout: number;
  irqSuspendTimeout: number;
  threaded: number;
}

/** Every NAPI of a device, by id, read by python3 on the host from the netdev family. */
export async function napis(host: TestHost, ifindex: number): Promise<Map<number, NapiView>> {
  const r = await onHost(host, ["python3", "-c", NAPI_TOOL, "dump", String(ifindex)]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const out = new Map<number, NapiView>();
  for (const line of r.stdout.toString().trim().split("\n").filter(Boolean)) {
    const [id, d, g, i, t] = line.split(" ").map(Number);
    out.set(id!, { deferHardIrqs: d!, groFlushTimeout: g!, irqSuspendTimeout: i!, threaded: t! });
  }
  return out;
}

/** Packets per RX queue so far, as the kernel counted them (index: queue). */
export async function rxPacketsPerQueue(host: TestHost, ifindex: number): Promise<number[]> {
  const r = await onHost(host, ["python3", "-c", NAPI_TOOL, "qstats", String(ifindex)]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const out: number[] = [];
  for (const line of r.stdout.toString().trim().split("\n").filter(Boolean)) {
    const [q, n] = line.split(" ").map(Number);
    out[q!] = n!;
  }
  return out;
}

/** napi-set by hand, as an operator's tool would (drift). */
export async function napiSetByHand(host: TestHost, napiId: number, settings: { deferHardIrqs?: number; groFlushTimeout?: number }): Promise<void> {
  const arg = (v: number | undefined) => (v === undefined ? "-" : String(v));
  const r = await onHost(host, ["python3", "-c", NAPI_TOOL, "set", String(napiId), arg(settings.deferHardIrqs), arg(settings.groFlushTimeout)]);
  assert.equal(r.exitCode, 0, `napi-set by hand: ${r.stderr.toString()}`);
}

// An AF_XDP socket (copy mode) bound to one RX queue of a device, held by a detached python3
// on the host until it is killed: a consumer queue-get reports on that queue (on the NIC's
// queue when the device's queue is a lease).
export const XSK_HOLD = String.raw`
import ctypes, mmap, os, socket, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AF_XDP, SOL_XDP = 44, 283
fd = libc.socket(AF_XDP, socket.SOCK_RAW, 0)
if fd < 0: sys.exit("socket: errno %d" % ctypes.get_errno())
size = 4096 * 64
area = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
addr = ctypes.addressof(ctypes.c_char.from_buffer(area))
def opt(name, value):
    b = ctypes.create_string_buffer(value, len(value))
    if libc.setsockopt(fd, SOL_XDP, name, b, len(value)) != 0: sys.exit("setsockopt %d: errno %d" % (name, ctypes.get_errno()))
opt(4, struct.pack("=QQIIII", addr, size, 4096, 0, 0, 0))      # XDP_UMEM_REG
for name in (5, 6, 2):                                           # fill, completion, rx rings
    opt(name, struct.pack("=i", 64))
sa = struct.pack("=HHIII", AF_XDP, 2, int(sys.argv[1]), int(sys.argv[2]), 0)  # XDP_COPY
b = ctypes.create_string_buffer(sa, len(sa))
if libc.bind(fd, b, len(sa)) != 0: sys.exit("bind: errno %d" % ctypes.get_errno())
print("bound", flush=True)
while True: time.sleep(3600)
`;

/**
 * A shell command line (argv) that binds an AF_XDP socket to `queue` of the device `ifindex`
 * (in `netns`) from a detached python3, its pid in `pidFile`, and returns once it is bound: for
 * a scenario's out-of-band step (release: `kill $(cat pidFile)`).
 */
export function holdXskArgv(ifindex: number, queue: number, pidFile: string, netns?: string): string[] {
  const inNs = netns ? `ip netns exec ${netns} ` : "";
  const script = [
    "f=$(mktemp); setsid " + inNs + 'python3 -c "$1" "$2" "$3" >"$f" 2>&1 < /dev/null & echo $! > "$4"',
    'i=0; while ! grep -q bound "$f"; do i=$((i+1)); [ $i -gt 200 ] && { cat "$f" >&2; exit 1; }; sleep 0.05; done',
  ].join("\n");
  return ["sh", "-c", script, "sh", XSK_HOLD, String(ifindex), String(queue), pidFile];
}

/** Binds an AF_XDP socket to `queue` of the device with `ifindex` (in `netns`); returns the holder's pid. */
export async function holdXsk(host: TestHost, ifindex: number, queue: number, netns?: string): Promise<number> {
  const inNs = netns ? `ip netns exec ${netns} ` : "";
  // Detached, its output in a file: the test's SSH channel ends, the socket stays.
  const script = [
    "f=$(mktemp); setsid " + inNs + 'python3 -c "$1" "$2" "$3" >"$f" 2>&1 < /dev/null & pid=$!',
    'i=0; while ! grep -q bound "$f"; do i=$((i+1)); if [ $i -gt 200 ] || ! kill -0 $pid 2>/dev/null; then cat "$f" >&2; exit 1; fi; sleep 0.05; done',
    "echo $pid",
  ].join("\n");
  const r = await onHost(host, ["sh", "-c", script, "sh", XSK_HOLD, String(ifindex), String(queue)]);
  assert.equal(r.exitCode, 0, `AF_XDP bind to ifindex ${ifindex} queue ${queue}: ${r.stderr.toString()}`);
  return Number(r.stdout.toString().trim());
}

/** Ends a holder made by holdXsk (its socket closes with it). */
export async function release(host: TestHost, pid: number): Promise<void> {
  await onHost(host, ["sh", "-c", 'kill "$1" 2>/dev/null; i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.05; done; true', "sh", String(pid)]);
}
