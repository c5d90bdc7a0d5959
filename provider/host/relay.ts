// The relay's wire: batches of netlink requests run on a host by relay.py, over one SSH exec.
// The relay is sent as an argv word with each call (no files installed on hosts); the request
// travels on stdin as JSON. Everything netkit-specific stays in TypeScript. How requests share
// runs is relay-queue.ts's business.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { constants as osConstants } from "node:os";
import { NetkitError, ProviderBugError } from "../errors";
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

/** A request as relay.py reads it. */
export type WireBatch = { stop_on_error: boolean; ops: unknown[] };

function opToWire(op: RelayOp): unknown {
  if ("read" in op) return { read: op.read };
  if ("listdir" in op) return { listdir: op.listdir };
  if ("openNetns" in op) return { nsfd: op.fd, path: op.openNetns };
  const nl = { nl: op.netlink.toString("base64"), proto: op.proto ?? 0 };
  if ("eachNetnsIn" in op) return { ...nl, each: op.eachNetnsIn };
  return { ...nl, ns: op.netns ?? null, dump: op.dump ?? false };
}

export function toWire(req: RelayRequest): WireBatch {
  return { stop_on_error: req.stopOnError ?? true, ops: req.ops.map(opToWire) };
}

/** One op's result as relay.py writes it (JSON). */
export type WireResult = Record<string, unknown>;

/**
 * Runs independent batches on a host in one relay run: one result list per batch. The real
 * one runs relay.py over SSH (sshTransport); the controller tier replays recorded kernel
 * replies through the same decoding instead.
 */
export type RelayTransport = (batches: WireBatch[]) => Promise<RelayResult[][]>;
/** The same on the wire: what relay.py reads and writes, before decoding. */
export type WireTransport = (batches: WireBatch[]) => Promise<WireResult[][]>;

/** Runs relay.py over one SSH exec of `session`, the batches on its stdin. */
export function sshWireTransport(session: SshSession): WireTransport {
  return (batches) => execRelay(session, batches);
}

/** A transport that decodes what a wire transport returns. */
export function decoding(wire: WireTransport): RelayTransport {
  return async (batches) => (await wire(batches)).map((results) => results.map(decodeResult));
}

export function sshTransport(session: SshSession): RelayTransport {
  return decoding(sshWireTransport(session));
}

async function execRelay(session: SshSession, batches: WireBatch[]): Promise<WireResult[][]> {
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
  let parsed: { batches: Array<{ results: WireResult[] }> };
  try {
    parsed = JSON.parse(r.stdout.toString()) as typeof parsed;
  } catch (e) {
    throw new ProviderBugError(`${session.host}: the netlink relay exited 0 but its output is not JSON (${r.stdout.length} bytes)`, { cause: e });
  }
  if (parsed.batches?.length !== batches.length) throw new ProviderBugError(`${session.host}: the relay answered ${parsed.batches?.length} of ${batches.length} batches`);
  return parsed.batches.map((b) => b.results);
}

function decodeResult(x: WireResult): RelayResult {
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
  const res: RelayResult = { kind: "oserror", errno: Number(x.oserror ?? 0), message: typeof x.message === "string" ? x.message : "" };
  if (typeof x.path === "string") res.path = x.path;
  return res;
}
