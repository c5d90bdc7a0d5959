// Runs batches of netlink requests on a host through relay.py, over one SSH exec. The relay
// is sent as an argv word with each call (no files installed on hosts); the request travels
// on stdin as JSON. Everything netkit-specific stays in TypeScript.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import { NetkitError } from "../errors";
import { decodeMessages, parseStatus, type NlMessage, type NlStatus } from "../netlink/message";
import type { SshSession } from "../ssh/session";

export type RelayOp =
  | { netlink: Buffer; netns?: string; proto?: number; dump?: boolean }
  /** A dump request sent in every netns whose file is in the directory `eachNetnsIn`. */
  | { netlink: Buffer; eachNetnsIn: string; proto?: number }
  | { read: string }
  /** The entries of a directory (named netns in /run/netns). */
  | { listdir: string }
  /** Opens a netns file in the relay as fd `fd`, for messages that refer to it (IFLA_NET_NS_FD). */
  | { openNetns: string; fd: number };

export interface RelayRequest {
  ops: RelayOp[];
  /** Skip the remaining ops after the first failure (default true). */
  stopOnError?: boolean;
  /** Changes nothing on the host. Any other request ends what was read before it (writeGeneration). */
  readOnly?: boolean;
}

export type RelayResult =
  /** messages: the replies other than the final status; raw: every reply byte, as the kernel sent it. */
  | { kind: "netlink"; messages: NlMessage[]; status: NlStatus; raw: Buffer }
  | { kind: "data"; data: Buffer }
  | { kind: "ok" }
  | { kind: "names"; names: string[] }
  /** Per netns of an eachNetnsIn op (by file name); a missing directory has none. */
  | { kind: "each"; entries: Array<{ name: string; result: RelayResult }> }
  | { kind: "oserror"; errno: number; message: string; path?: string }
  | { kind: "skipped" };

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

type WireBatch = { stop_on_error: boolean; ops: unknown[] };

function opToWire(op: RelayOp): unknown {
  if ("read" in op) return { read: op.read };
  if ("listdir" in op) return { listdir: op.listdir };
  if ("openNetns" in op) return { nsfd: op.fd, path: op.openNetns };
  const nl = { nl: op.netlink.toString("base64"), proto: op.proto ?? 0 };
  if ("eachNetnsIn" in op) return { ...nl, each: op.eachNetnsIn };
  return { ...nl, ns: op.netns ?? null, dump: op.dump ?? false };
}

function toWire(req: RelayRequest): WireBatch {
  return { stop_on_error: req.stopOnError ?? true, ops: req.ops.map(opToWire) };
}

/**
 * Requests to one host that arrive while a relay runs there wait and go together in the next
 * one: starting python3 is most of a round trip's cost, and the engine runs many operations
 * at once (one per resource). Each request stays its own batch with its own stop-on-error.
 */
interface Queue {
  running: boolean;
  /** A run is about to start: requests arriving now join it. */
  gathering: boolean;
  waiting: Array<{ batch: WireBatch; resolve: (r: RelayResult[]) => void; reject: (e: unknown) => void }>;
}
const queues = new WeakMap<SshSession, Queue>();
const writes = new WeakMap<SshSession, number>();

/**
 * How many requests that may change the host were sent over `session` so far: what was read
 * at one generation may be stale at the next.
 */
export function writeGeneration(session: SshSession): number {
  return writes.get(session) ?? 0;
}
/** Per relay run: bounds the stdin and the run's duration against operationTimeoutMs. */
const MAX_BATCHES_PER_RUN = 64;
/**
 * How long a run waits for more requests before it starts. The engine answers a finished
 * batch of operations by starting the next ones within milliseconds of each other; started
 * at the first, a run would carry one and the others would wait for the next. Measured on a
 * test host at --parallel 8, 100 pairs: up 27 runs without this, 24 with 25 ms, 16 with 100
 * ms; destroy 52, 38, 27. A run costs far more (an exec and a python3 start).
 */
export const GATHER_MS = 100;

export function runRelay(session: SshSession, req: RelayRequest): Promise<RelayResult[]> {
  if (!req.readOnly) writes.set(session, writeGeneration(session) + 1);
  let q = queues.get(session);
  if (!q) queues.set(session, (q = { running: false, gathering: false, waiting: [] }));
  const queue = q;
  return new Promise((resolve, reject) => {
    queue.waiting.push({ batch: toWire(req), resolve, reject });
    schedule(session, queue);
  });
}

/** Starts the next run after GATHER_MS, or at once when a run's worth is waiting. */
function schedule(session: SshSession, q: Queue): void {
  if (q.running || !q.waiting.length) return;
  if (q.waiting.length >= MAX_BATCHES_PER_RUN) return void pump(session, q);
  if (q.gathering) return;
  q.gathering = true;
  setTimeout(() => void pump(session, q), GATHER_MS);
}

async function pump(session: SshSession, q: Queue): Promise<void> {
  q.gathering = false;
  if (q.running || !q.waiting.length) return;
  q.running = true;
  const group = q.waiting.splice(0, MAX_BATCHES_PER_RUN);
  try {
    const results = await execRelay(session, group.map((g) => g.batch));
    group.forEach((g, i) => g.resolve(results[i] ?? []));
  } catch (e) {
    // A failed run (or a dropped connection) fails every request in it, each with the cause.
    for (const g of group) g.reject(e);
  } finally {
    q.running = false;
    schedule(session, q);
  }
}

async function execRelay(session: SshSession, batches: WireBatch[]): Promise<RelayResult[][]> {
  // -I: ignore the host's PYTHON* environment and user site; -S: skip site (faster start).
  // Netlink changes need CAP_NET_ADMIN: privileged runs through sudo when the connection says so.
  const r = await session.exec(["python3", "-I", "-S", "-c", relaySource()], { stdin: JSON.stringify({ batches }), privileged: true });
  if (r.exitCode !== 0) {
    const err = r.stderr.toString().trim();
    const missing = r.exitCode === 127 || /python3: (command )?not found/.test(err);
    throw new NetkitError(
      missing
        ? `${session.host}: python3 is not installed; the provider needs python3 (standard library only) on managed hosts`
        : `${session.host}: netlink relay failed (exit ${r.exitCode}): ${err.split("\n").slice(-3).join(" ")}`,
    );
  }
  const parsed = JSON.parse(r.stdout.toString()) as { batches: Array<{ results: Array<Record<string, unknown>> }> };
  return parsed.batches.map((b) => b.results.map(decodeResult));
}

function decodeResult(x: Record<string, unknown>): RelayResult {
  if (x.skipped) return { kind: "skipped" };
  if (x.ok) return { kind: "ok" };
  if (Array.isArray(x.names)) return { kind: "names", names: x.names.map(String) };
  if (Array.isArray(x.each)) return { kind: "each", entries: (x.each as Array<Record<string, unknown>>).map((e) => ({ name: String(e.name), result: decodeResult(e) })) };
  if (typeof x.data === "string") return { kind: "data", data: Buffer.from(x.data, "base64") };
  if (typeof x.reply === "string") {
    const raw = Buffer.from(x.reply, "base64");
    const messages = decodeMessages(raw);
    const last = messages[messages.length - 1];
    const status = (last && parseStatus(last)) ?? { errno: Number(x.errno ?? 0) };
    return { kind: "netlink", messages: messages.filter((m) => !parseStatus(m)), status, raw };
  }
  const res: RelayResult = { kind: "oserror", errno: Number(x.oserror ?? 0), message: String(x.message ?? "") };
  if (typeof x.path === "string") res.path = x.path;
  return res;
}
