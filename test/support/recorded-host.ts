// Kernels on tape, for the controller tier: the relay's wire traffic of a scenario run
// against a real kernel (the kernel tier, NETKIT_RECORD=1) is kept per scenario, and replayed
// to the same controllers in-process, so a logic error in a controller surfaces in seconds
// without a VM. A replay answers each batch the controllers send with the recorded results of
// the identical batch; a batch the recording lacks fails the test, naming it (the request
// logic changed: record again on the kernel). The kernel and lifecycle tiers stay the proof.
import { isDeepStrictEqual } from "node:util";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { HostClient } from "../../provider/host/client";
import { decoding, type WireBatch, type WireResult, type WireTransport } from "../../provider/host/relay";
import { repoRoot } from "../../harness/pulumi";

export interface Exchange {
  batch: WireBatch;
  results: WireResult[];
}

export interface Recording {
  scenario: string;
  /** `uname -r` of the recorded kernel. */
  kernel: string;
  /** How the provider named the host ("root@127.0.0.1:PORT") and its port (resource ids hold it). */
  host: string;
  port: number;
  exchanges: Exchange[];
  /** What the scenario observed live: a replay must observe exactly this. */
  observed: unknown;
}

export const RECORDINGS = join(repoRoot, "test", "fixtures", "recordings");
export const recordingPath = (scenario: string) => join(RECORDINGS, `${scenario}.json`);

export function readRecording(scenario: string): Recording {
  return JSON.parse(readFileSync(recordingPath(scenario), "utf8")) as Recording;
}

/** Writes a recording, normalised (normaliseRecording). */
export function writeRecording(r: Recording): void {
  mkdirSync(RECORDINGS, { recursive: true });
  writeFileSync(recordingPath(r.scenario), JSON.stringify(normaliseRecording(r), null, 1) + "\n");
}

/** The port every recording names its host by, whatever port the recorded VM listened on. */
export const RECORDED_PORT = 2222;
/** The prefix of the MAC addresses that stand for the kernel's random ones, numbered in order of appearance. */
const RANDOM_MAC_PREFIX = [0x02, 0x6e, 0x6b, 0x00, 0x00];

/**
 * What two recordings of the same scenario on the same kernel differ in, made equal, so that
 * a re-record changes only what changed: the VM's port (in the host's name and in resource
 * ids), batch ids, the netlink sequence numbers and port ids in reply headers (and in the
 * request header an error echoes), the MAC addresses the kernel chose at random (the same
 * stand-in wherever one appears: replies, later requests, observations), and what a link
 * dump carries that the provider never reads and that changes from run to run: the counters
 * (IFLA_STATS, IFLA_STATS64), the per-family state but IPv4's (IFLA_AF_SPEC: IPv6 timestamps,
 * random reachable time; the provider reads IPv4's settings, rp_filter) and netdevsim's random
 * switch id (IFLA_PHYS_SWITCH_ID), zeroed in place. A
 * replay still has to observe what the live run observed, so a value the provider did read
 * could not be zeroed unnoticed. Values the kernel hands out in order (ifindex, BPF ids) are
 * kept: each scenario is recorded on a freshly booted host (test/kernel/scenarios.test.ts).
 */
export function normaliseRecording(r: Recording): Recording {
  const ids = new Map<string, string>();
  r.exchanges.forEach((x, i) => ids.set(x.batch.id, `batch-${i + 1}`));
  const macs = kernelMacs(r.exchanges);
  const swapMacs = (b: Buffer) => {
    for (const [from, to] of macs) for (let at = b.indexOf(from); at >= 0; at = b.indexOf(from, at + 6)) to.copy(b, at);
    return b;
  };
  const hostPort = new RegExp(`(127\\.0\\.0\\.1|localhost):${r.port}\\b`, "g");
  const macText = new Map([...macs].map(([from, to]) => [macString(from), macString(to)]));
  const text = (v: string) => [...macText].reduce((t, [from, to]) => t.split(from).join(to), v.replace(hostPort, `$1:${RECORDED_PORT}`));

  const walk = (v: unknown, key?: string): unknown => {
    if (typeof v === "string") {
      if (key === "reply") return swapMacs(normaliseReply(Buffer.from(v, "base64"))).toString("base64");
      if (ids.has(v)) return ids.get(v);
      return text(v);
    }
    if (typeof v === "number" && key === "port" && v === r.port) return RECORDED_PORT;
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return {
    ...r,
    host: text(r.host),
    port: RECORDED_PORT,
    exchanges: r.exchanges.map((x) => {
      // A request's netlink message carries the kernel's MAC addresses that the controllers sent back.
      const ops = x.batch.ops.map((o) => {
        const op = o as Record<string, unknown>;
        return typeof op.message === "string" ? { ...op, message: swapMacs(Buffer.from(op.message, "base64")).toString("base64") } : o;
      });
      const results = x.results.map((res, i) => normaliseBpfResult(ops[i] as Record<string, unknown> | undefined, res));
      return walk({ batch: { ...x.batch, ops }, results }) as Exchange;
    }),
    observed: walk(r.observed),
  };
}

const NLMSG_ERROR = 2;
const RTM_NEWLINK = 16;
const IFLA_ADDRESS = 1;
const IFLA_PERM_ADDRESS = 54;
/** Never read by the provider; different in every run. */
const RUN_DEPENDENT_IFLA = new Set([7 /* STATS */, 23 /* STATS64 */, 36 /* PHYS_SWITCH_ID */]);
/** Per address family state: the provider reads IPv4's (its settings, the same every run); the others' payloads are zeroed. */
const IFLA_AF_SPEC = 26;
const AF_INET = 2;

/** Each netlink message of `buf` (a copy): its offset and the type and length in its header. */
function* netlinkMessages(buf: Buffer): Generator<{ at: number; type: number; len: number }> {
  for (let at = 0; at + 16 <= buf.length;) {
    const len = buf.readUInt32LE(at);
    if (len < 16 || at + len > buf.length) return;
    yield { at, type: buf.readUInt16LE(at + 4), len };
    at += (len + 3) & ~3;
  }
}

/** The attributes in `buf` from `start` to `end` (the top-level ones of an RTM_NEWLINK message from its offset + 32): type and payload offset and length. */
function* linkAttrs(buf: Buffer, start: number, end: number): Generator<{ type: number; off: number; size: number }> {
  for (let off = start; off + 4 <= end;) {
    const alen = buf.readUInt16LE(off);
    if (alen < 4 || off + alen > end) return;
    yield { type: buf.readUInt16LE(off + 2) & 0x3fff, off: off + 4, size: alen - 4 };
    off += (alen + 3) & ~3;
  }
}

/** A copy of a reply with sequence numbers, port ids and run-dependent link attributes zeroed. */
function normaliseReply(original: Buffer): Buffer {
  const buf = Buffer.from(original);
  for (const m of netlinkMessages(buf)) {
    buf.fill(0, m.at + 8, m.at + 16);
    // An error echoes the request's header after its errno.
    if (m.type === NLMSG_ERROR && m.len >= 36) buf.fill(0, m.at + 28, m.at + 36);
    if (m.type !== RTM_NEWLINK) continue;
    for (const a of linkAttrs(buf, m.at + 32, m.at + m.len)) {
      if (RUN_DEPENDENT_IFLA.has(a.type)) buf.fill(0, a.off, a.off + a.size);
      if (a.type === IFLA_AF_SPEC) for (const f of linkAttrs(buf, a.off, a.off + a.size)) if (f.type !== AF_INET) buf.fill(0, f.off, f.off + f.size);
    }
  }
  return buf;
}

const BPF_OBJ_GET_INFO_BY_FD = 15;

/**
 * A bpf() result with what differs from run to run zeroed: the addresses of the relay's own
 * buffers that the attr carries back (at the op's `bufs` and `paths` offsets: ASLR), and in a
 * program's info what the provider does not read (provider/bpf/syscall.ts reads a program's
 * id and name, a link's first 24 bytes): load time, instruction pointers, map ids.
 */
function normaliseBpfResult(op: Record<string, unknown> | undefined, res: WireResult): WireResult {
  const r = res as Record<string, unknown>;
  if (op?.op !== "bpf" || typeof r.attr !== "string") return res;
  const attr = Buffer.from(r.attr, "base64");
  const pointers = [...((op.bufs as [number, number][] | undefined) ?? []), ...((op.paths as [number, string][] | undefined) ?? [])].map(([at]) => at);
  for (const at of pointers) if (at + 8 <= attr.length) attr.fill(0, at, at + 8);
  const bufs = Array.isArray(r.bufs) ? (r.bufs as string[]).map((b) => Buffer.from(b, "base64")) : undefined;
  if (op.cmd === BPF_OBJ_GET_INFO_BY_FD && bufs?.[0] && bufs[0].length >= 64) bufs[0].fill(0, 24, 64);
  return { ...r, attr: attr.toString("base64"), ...(bufs ? { bufs: bufs.map((b) => b.toString("base64")) } : {}) };
}

/** The kernel's random MAC addresses (first seen in a reply, not in an earlier request), each with its stand-in. */
function kernelMacs(exchanges: Exchange[]): Map<Buffer, Buffer> {
  const chosen: Buffer[] = [];
  const random: Buffer[] = [];
  /** The netlink requests sent so far: an address in one was the scenario's choice. */
  const requests: Buffer[] = [];
  const seen = (mac: Buffer) => [...chosen, ...random].some((m) => m.equals(mac));
  const replies = (v: unknown): Buffer[] =>
    typeof v !== "object" || !v
      ? []
      : Array.isArray(v)
        ? v.flatMap(replies)
        : Object.entries(v).flatMap(([k, x]) => (k === "reply" && typeof x === "string" ? [Buffer.from(x, "base64")] : replies(x)));
  for (const x of exchanges) {
    for (const o of x.batch.ops) {
      const m = (o as { message?: unknown }).message;
      if (typeof m === "string") requests.push(Buffer.from(m, "base64"));
    }
    for (const reply of replies(x.results)) {
      for (const m of netlinkMessages(reply)) {
        if (m.type !== RTM_NEWLINK) continue;
        for (const a of linkAttrs(reply, m.at + 32, m.at + m.len)) {
          if ((a.type !== IFLA_ADDRESS && a.type !== IFLA_PERM_ADDRESS) || a.size !== 6) continue;
          const mac = Buffer.from(reply.subarray(a.off, a.off + 6));
          // Only locally administered unicast addresses can be the kernel's random choice.
          if ((mac[0]! & 0x03) !== 0x02 || seen(mac)) continue;
          (requests.some((q) => q.includes(mac)) ? chosen : random).push(mac);
        }
      }
    }
  }
  return new Map(random.map((mac, i) => [mac, Buffer.from([...RANDOM_MAC_PREFIX, i + 1])]));
}

const macString = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");

/** Passes batches to `wire` and keeps each with its results. */
export function recording(wire: WireTransport, into: Exchange[]): WireTransport {
  return async (batches, run) => {
    const results = await wire(batches, run);
    batches.forEach((batch, i) => into.push({ batch, results: results[i] ?? [] }));
    return results;
  };
}

/** What a batch asks for, for a message: each op's name and target. */
function describeBatch(b: WireBatch): string {
  return b.ops
    .map((o) => {
      const op = o as Record<string, unknown>;
      if (typeof op.message === "string") {
        const type = Buffer.from(op.message, "base64").readUInt16LE(4);
        return `${String(op.op)} type ${type}${typeof op.netns === "string" ? ` in ${op.netns}` : ""}${typeof op.dir === "string" ? ` in each netns of ${op.dir}` : ""}`;
      }
      return `${String(op.op)}${typeof op.path === "string" ? ` ${op.path}` : ""}`;
    })
    .join("; ");
}

/**
 * A host client that answers from a recording, in any order among batches not yet answered
 * (the engine-free scenarios are sequential, but gathered runs may order batches differently).
 */
export function replayHost(r: Recording): { client: HostClient; unanswered: () => Exchange[] } {
  const left = [...r.exchanges];
  const wire: WireTransport = async (batches) =>
    batches.map((batch) => {
      // Batch ids are random per run: a batch is the same request whatever its id.
      const i = left.findIndex((x) => isDeepStrictEqual({ ...x.batch, id: "" }, { ...batch, id: "" }));
      if (i < 0)
        throw new Error(
          `replay of ${r.scenario}: the controllers sent a batch the recording lacks (${describeBatch(batch)}); ` +
            "the request logic changed: record the scenario again on the kernel (NETKIT_RECORD=1 npm test -- test/kernel/scenarios.test.ts)",
        );
      return left.splice(i, 1)[0]!.results;
    });
  return { client: new HostClient(r.host, decoding(wire), { debug() {}, info() {}, warn() {} }), unanswered: () => left };
}
