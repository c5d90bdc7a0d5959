// The relay's wire: batches of netlink requests run on a host by relay.py. The relay is sent as
// an argv word (no files installed on hosts) and lives for the SSH session, requests streamed
// to it as JSON lines (relay-stream.ts); a one-shot form, one exec per request, remains.
// Everything netkit-specific stays in TypeScript. How requests share runs is relay-queue.ts's
// business.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import { NetkitError, ProviderBugError } from "../errors";
import { decodeMessages, parseStatus, type NlMessage, type NlStatus } from "../netlink/message";
import type { SshSession } from "../ssh/session";
import type { BpfOp } from "../bpf/syscall";

/**
 * What a reply must show for the batch to go on (relay.py checks it in the same run, so a
 * device is checked and acted on without another process's change in between): the link's
 * ifindex, and attribute payloads by path (e.g. [IFLA_LINKINFO, IFLA_INFO_KIND]).
 */
export interface Expect {
  index?: number;
  attrs?: Array<[path: number[], payload: Buffer]>;
}

/**
 * One step of a batch, as data. The relay runs it as it is: on the wire an op is this object
 * with its bytes in base64 (toWire), and `op` names the function of relay.py's OPS that runs it.
 */
export type RelayOp =
  /**
   * A netlink message sent from inside `netns` (default: the host's), its replies returned.
   * `waitMs`: a request the kernel may hold up (unregistering a device that something still
   * references waits for it) is sent from a child process, and the relay answers after at most
   * this long, with ETIMEDOUT and the pending child's pid when the kernel has not answered.
   */
  | { op: "netlink"; message: Buffer; netns?: string; proto?: number; dump?: boolean; expect?: Expect; waitMs?: number }
  /**
   * A netlink dump request sent in every netns whose file is in the directory `dir`. `netnsFd`:
   * each netns is first opened as that fd (for a message that refers to it); `fromHost`: the
   * message goes from the host's netns rather than from inside each.
   */
  | { op: "netlinkEachNetns"; message: Buffer; dir: string; proto?: number; netnsFd?: number; fromHost?: boolean }
  /** A file's bytes (at most 1 MiB). */
  | { op: "read"; path: string }
  /** The entries of a directory (named netns in /run/netns). */
  | { op: "listdir"; path: string }
  /** Opens a netns file in the relay as fd `fd`, for messages that refer to it (IFLA_NET_NS_FD). */
  | { op: "openNetns"; path: string; fd: number }
  /** What an earlier batch (by its id) did, as the relay journaled it op by op. */
  | { op: "journal"; batch: string }
  /** A bpf() call (provider/bpf/syscall.ts declares and builds them). */
  | BpfOp
  /** A file op in the provider's own bpffs directory (BPFFS_ROOT); "clear" unlinks a directory's entries. */
  | { op: "bpffs"; action: "mkdir" | "unlink" | "clear" | "rmdir"; path: string }
  /**
   * ioctl(fd, request, arg) on a socket (`socket`: family and type, default AF_INET datagram)
   * created in `netns`: the argument's bytes as the kernel reads them, except pointers to
   * buffers the relay allocates (`bufs`: offset in arg → the buffer's initial contents); the
   * argument and buffers come back as the kernel left them. SIOCETHTOOL is one.
   */
  | { op: "ioctl"; request: number; socket?: [family: number, type: number]; netns?: string; arg: Buffer; bufs?: Array<[offset: number, contents: Buffer]> }
  /**
   * The record of who holds a NIC queue's lease, kept by the relay in its state directory
   * (host/lease-owners.ts): get, put (replace), or drop (only if it names `urn`, when given).
   */
  | { op: "owner"; action: "get" | "put" | "drop"; key: string; data?: Buffer; urn?: string };

/** The name of each kind of op, as relay.py's OPS knows it. */
export type RelayOpName = RelayOp["op"];
export type NetlinkOp = Extract<RelayOp, { op: "netlink" }>;

/** Every op's name (the type keeps the list complete); a unit test holds it against relay.py's OPS. */
export const RELAY_OP_NAMES = Object.keys({
  netlink: true,
  netlinkEachNetns: true,
  read: true,
  listdir: true,
  openNetns: true,
  journal: true,
  bpf: true,
  bpffs: true,
  ioctl: true,
  owner: true,
} satisfies Record<RelayOpName, true>) as RelayOpName[];

/** The provider's bpffs directory on every host; relay.py refuses file ops anywhere else. */
export const BPFFS_ROOT = "/sys/fs/bpf/pulumi-netkit";

export interface RelayRequest {
  /** Names the batch in the host's journal (writers only); one is assigned when absent. */
  id?: string;
  ops: RelayOp[];
  /** Skip the remaining ops after the first failure (default true). */
  stopOnError?: boolean;
  /** Changes nothing on the host. Any other request ends what was read before it (writeGeneration). */
  readOnly?: boolean;
}

export type RelayResult =
  /**
   * messages: the replies other than the final status; raw: every reply byte, as the kernel
   * sent it; mismatch: how the reply differs from the op's Expect (the batch stopped there).
   */
  | { kind: "netlink"; messages: NlMessage[]; status: NlStatus; raw: Buffer; mismatch?: string }
  | { kind: "data"; data: Buffer }
  /** A bpf() call: its return value (an fd, 0, or -1), errno, and the attr and buffers after it. */
  | { kind: "bpf"; ret: number; errno: number; attr: Buffer; bufs: Buffer[] }
  /** An ioctl: its return value, errno, and the argument and buffers after it. */
  | { kind: "ioctl"; ret: number; errno: number; arg: Buffer; bufs: Buffer[] }
  | { kind: "ok" }
  | { kind: "names"; names: string[] }
  /** Per netns of a netlinkEachNetns op (by file name); a missing directory has none. */
  | { kind: "each"; entries: Array<{ name: string; result: RelayResult }> }
  /** `pending`: a `waitMs` request the kernel had not answered, still waiting in that process on the host. */
  | { kind: "oserror"; errno: number; message: string; path?: string; pending?: number }
  /** The relay failed on this op in a way that is no OS or kernel error (a bug, a reply it did not expect). */
  | { kind: "exception"; message: string }
  /** Not run: an earlier op of the batch failed, or (reason "deadline") time ran out. */
  | { kind: "skipped"; reason?: string };

/** fd numbers for openNetns: high enough never to clash with the relay's own descriptors. */
export const FIRST_NS_FD = 100;

let source: string | undefined;
function relaySource(): string {
  source ??= readFileSync(join(__dirname, "relay.py"), "utf8");
  return source;
}

const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(osConstants.errno)) {
  // ENOTSUP and EOPNOTSUPP share 95 on Linux; the kernel means EOPNOTSUPP.
  if (!errnoNames.has(n) || name === "EOPNOTSUPP") errnoNames.set(n, name);
}
// Linux errnos that libuv's table lacks but the kernel's netlink answers use.
for (const [n, name] of [[64, "ENONET"]] as const) if (!errnoNames.has(n)) errnoNames.set(n, name);
export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `errno ${n}`;
}

/** A request as relay.py reads it. */
export type WireBatch = { id: string; stop_on_error: boolean; ops: unknown[] };
/** A run's settings: its deadline is the transport's; `lock`: a batch may write. */
export interface WireRun {
  lock: boolean;
}

/** A value as JSON carries it to relay.py: bytes in base64, unset members left out. */
function wireValue(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return v.toString("base64");
  if (Array.isArray(v)) return v.map(wireValue);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === undefined ? [] : [[k, wireValue(x)]])));
  return v;
}

export function toWire(req: RelayRequest & { id: string }): WireBatch {
  return { id: req.id, stop_on_error: req.stopOnError ?? true, ops: req.ops.map(wireValue) };
}

/** One op's result as relay.py writes it (JSON). */
export type WireResult = Record<string, unknown>;

/**
 * Runs independent batches on a host in one relay run: one result list per batch. The real
 * one streams to relay.py over SSH (relay-stream.ts, sshWireTransport); the controller tier replays recorded kernel
 * replies through the same decoding instead.
 */
export type RelayTransport = (batches: WireBatch[], run: WireRun) => Promise<RelayResult[][]>;
/** The same on the wire: what relay.py reads and writes, before decoding. */
export type WireTransport = (batches: WireBatch[], run: WireRun) => Promise<WireResult[][]>;

/** Runs relay.py once per call over an SSH exec of `session`, the batches on its stdin (a python3 start per round trip). */
export function oneShotWireTransport(session: SshSession): WireTransport {
  return (batches, run) => execRelay(session, batches, run);
}

/** How the relay is started: its source as an argv word (nothing installed on the host). */
export function relayArgv(...args: string[]): string[] {
  // -I: ignore the host's PYTHON* environment and user site; -S: skip site (faster start).
  return ["python3", "-I", "-S", "-c", relaySource(), ...args];
}

/** A transport that decodes what a wire transport returns. */
export function decoding(wire: WireTransport): RelayTransport {
  return async (batches, run) => (await wire(batches, run)).map((results) => results.map(decodeResult));
}

/**
 * The relay's own deadline for a run: the operation's time limit less a margin, so that it
 * stops and answers before the provider gives up on it (and never runs on after that).
 */
export function relayDeadlineMs(operationTimeoutMs: number): number {
  // The margin covers the channel and python3's start (a second or two on a loaded, emulated host).
  return Math.max(1000, operationTimeoutMs - Math.min(10_000, Math.max(3000, operationTimeoutMs / 5)));
}

async function execRelay(session: SshSession, batches: WireBatch[], run: WireRun): Promise<WireResult[][]> {
  // Netlink changes need CAP_NET_ADMIN: privileged runs through sudo when the connection says so.
  const stdin = JSON.stringify({ deadline_ms: relayDeadlineMs(session.operationTimeoutMs), lock: run.lock, batches });
  const r = await session.exec(relayArgv(), { stdin, privileged: true });
  if (r.exitCode !== 0) {
    const err = r.stderr.toString().trim();
    const missing = r.exitCode === 127 || /python3: (command )?not found/.test(err);
    throw new NetkitError(
      missing
        ? `${session.host}: python3 is not installed; the provider needs python3 (standard library only) on managed hosts`
        : `${session.host}: netlink relay failed (exit ${r.exitCode}): ${err.split("\n").slice(-3).join(" ")}`,
    );
  }
  let parsed: { batches: Array<{ results: WireResult[] }> };
  try {
    parsed = JSON.parse(r.stdout.toString()) as typeof parsed;
  } catch (e) {
    throw new ProviderBugError(`${session.host}: the netlink relay exited 0 but its output is not JSON (${r.stdout.length} bytes)`, { cause: e });
  }
  if (parsed.batches?.length !== batches.length) throw new ProviderBugError(`${session.host}: the relay answered ${parsed.batches?.length} of ${batches.length} batches`);
  return parsed.batches.map((b) => b.results);
}

/** A result as relay.py wrote it (on stdout, or in its journal), decoded. */
export function decodeResult(x: WireResult): RelayResult {
  if (x.skipped) return typeof x.reason === "string" ? { kind: "skipped", reason: x.reason } : { kind: "skipped" };
  if (typeof x.exception === "string") return { kind: "exception", message: x.exception };
  if (x.ok) return { kind: "ok" };
  if (Array.isArray(x.names)) return { kind: "names", names: x.names.map(String) };
  if (Array.isArray(x.each)) return { kind: "each", entries: (x.each as Array<Record<string, unknown>>).map((e) => ({ name: String(e.name), result: decodeResult(e) })) };
  if (typeof x.data === "string") return { kind: "data", data: Buffer.from(x.data, "base64") };
  // A system call's result: its return value, errno, and the argument and buffers after it.
  const call = (arg: unknown) => ({
    errno: Number(x.errno ?? 0),
    bytes: Buffer.from(typeof arg === "string" ? arg : "", "base64"),
    bufs: Array.isArray(x.bufs) ? x.bufs.map((b) => Buffer.from(String(b), "base64")) : [],
  });
  if (typeof x.bpf === "number") {
    const c = call(x.attr);
    return { kind: "bpf", ret: x.bpf, errno: c.errno, attr: c.bytes, bufs: c.bufs };
  }
  if (typeof x.ioctl === "number") {
    const c = call(x.arg);
    return { kind: "ioctl", ret: x.ioctl, errno: c.errno, arg: c.bytes, bufs: c.bufs };
  }
  if (typeof x.reply === "string") {
    const raw = Buffer.from(x.reply, "base64");
    const messages = decodeMessages(raw);
    const last = messages[messages.length - 1];
    const status = (last && parseStatus(last)) ?? { errno: Number(x.errno ?? 0) };
    const r: RelayResult = { kind: "netlink", messages: messages.filter((m) => !parseStatus(m)), status, raw };
    if (typeof x.mismatch === "string") r.mismatch = x.mismatch;
    return r;
  }
  const res: RelayResult = { kind: "oserror", errno: Number(x.oserror ?? 0), message: typeof x.message === "string" ? x.message : "" };
  if (typeof x.path === "string") res.path = x.path;
  if (typeof x.pending === "number") res.pending = x.pending;
  return res;
}
