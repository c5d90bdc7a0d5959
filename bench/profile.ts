// `npm run bench -- --profile DIR`: where each engine phase spends its CPU. Three sides, each
// profiled while the phase runs and summarised by its top frames:
//   program:  this process, where an inline program runs (node:inspector's CPU profiler);
//   provider: every Node process the engine starts (the dynamic provider's, or the plugin
//             pulumi-resource-netkit), through NODE_OPTIONS=--require profile-hook.js;
//   engine:   the `pulumi` CLI itself, through its --profiling flag (a Go CPU profile, read
//             with `go tool pprof`), by a wrapper placed where the benchmark finds the CLI.
// With `heap`, the provider also writes a heap snapshot at its largest resident set: the RSS
// sampler signals it (--heapsnapshot-signal) each time the RSS passes the last snapshot's by
// HEAP_STEP_MB, and the last snapshot is summarised (retained size by constructor).
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";

/** One frame of a profile summary: a function and where it is, with its seconds. */
export interface Frame {
  fn: string;
  where: string;
  /** Seconds in the function itself. */
  self: number;
  /** Seconds in it and what it called (each sample counted once per function). */
  total: number;
}

export interface CpuSummary {
  /** Sampled seconds, idle excluded. */
  busy: number;
  /** Self seconds by origin (our provider, @pulumi/pulumi, grpc-js, GC, …). */
  byOrigin: Array<[origin: string, seconds: number]>;
  /** The heaviest frames by self time. */
  top: Frame[];
  /** Our own frames (pulumi-netkit's code) by total time. */
  ours: Frame[];
}

export interface EngineSummary {
  busy: number;
  /** Go functions by flat (self) seconds. */
  top: Array<{ fn: string; flat: number; cum: number }>;
  /** By cumulative seconds: which engine paths the time goes through. */
  cum: Array<{ fn: string; flat: number; cum: number }>;
}

export interface HeapSummary {
  /** Resident set of the process when the snapshot was asked for, MB. */
  rssMb: number;
  /** Live heap in the snapshot (after the GC it forces), MB. */
  heapMb: number;
  /** Self size by constructor name, largest first, MB. */
  byConstructor: Array<[name: string, mb: number, count: number]>;
}

export interface PhaseProfile {
  workload: string;
  n: number;
  phase: string;
  program?: CpuSummary;
  provider?: CpuSummary;
  engine?: EngineSummary;
  heap?: HeapSummary;
}

/** A heap snapshot is asked for again when the provider's RSS passed the last one's by this much. */
export const HEAP_STEP_MB = 40;
/** How long a provider process runs before the profiler may signal it for a heap snapshot. */
const HANDLER_GRACE_MS = 1000;
const TOP = 12;

/** Where a script comes from, by its URL. */
function origin(url: string, fn: string): string {
  // The heap snapshots the profiler asks for are its own cost, like idle time: left out.
  if (!url) return fn === "(garbage collector)" ? "GC" : fn === "(program)" ? "V8 and native (program)" : fn === "(idle)" || fn === "triggerHeapSnapshot" ? "idle" : "native";
  if (/\/dist\/provider\//.test(url)) return "pulumi-netkit provider";
  if (/\/dist\/sdk\//.test(url)) return "pulumi-netkit sdk";
  if (/\/dist\/(bench|harness)\//.test(url)) return "benchmark";
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.replace(/.*node_modules\/(?=.*node_modules\/)/, ""));
  if (m) return m[1]!;
  if (url.startsWith("node:")) return "node internals";
  return "other";
}

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Self and total seconds per function of a V8 CPU profile, and self seconds per origin. */
export function summariseCpu(p: CpuProfile): CpuSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Self time per node from the samples and their time deltas (µs).
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0) / 1e6);
  const key = (n: CpuNode) => `${n.callFrame.functionName || "(anonymous)"}\t${n.callFrame.url}:${n.callFrame.lineNumber + 1}`;
  const frames = new Map<string, Frame & { origin: string }>();
  const frame = (n: CpuNode) => {
    const k = key(n);
    let f = frames.get(k);
    if (!f) {
      const url = n.callFrame.url.replace(/^file:\/\//, "");
      const where = url ? `${url.replace(/.*\/(node_modules|dist)\//, "$1/")}:${n.callFrame.lineNumber + 1}` : "";
      frames.set(k, (f = { fn: n.callFrame.functionName || "(anonymous)", where, self: 0, total: 0, origin: origin(url, n.callFrame.functionName) }));
    }
    return f;
  };
  // Total time: each node's subtree, added once per function on the path (recursion counts once).
  const onPath = new Map<string, number>();
  const walk = (id: number): number => {
    const n = byId.get(id)!;
    const k = key(n);
    const f = frame(n);
    const s = self.get(id) ?? 0;
    f.self += s;
    onPath.set(k, (onPath.get(k) ?? 0) + 1);
    let t = s;
    for (const c of n.children ?? []) t += walk(c);
    onPath.set(k, onPath.get(k)! - 1);
    if (!onPath.get(k)) f.total += t;
    return t;
  };
  const root = p.nodes[0];
  if (root) walk(root.id);
  const all = [...frames.values()].filter((f) => f.origin !== "idle" && f.fn !== "(root)");
  const byOrigin = new Map<string, number>();
  for (const f of all) byOrigin.set(f.origin, (byOrigin.get(f.origin) ?? 0) + f.self);
  const round = (f: Frame): Frame => ({ fn: f.fn, where: f.where, self: +f.self.toFixed(3), total: +f.total.toFixed(3) });
  return {
    busy: +all.reduce((a, f) => a + f.self, 0).toFixed(3),
    byOrigin: [...byOrigin.entries()].sort((a, b) => b[1] - a[1]).map(([o, s]) => [o, +s.toFixed(3)]),
    top: all
      .sort((a, b) => b.self - a.self)
      .slice(0, TOP)
      .map(round),
    ours: all
      .filter((f) => f.origin.startsWith("pulumi-netkit"))
      .sort((a, b) => b.total - a.total)
      .slice(0, TOP)
      .map(round),
  };
}

/** `go tool pprof -top` of a Go CPU profile, parsed; undefined without go. */
export function summariseGo(file: string): EngineSummary | undefined {
  const run = (extra: string[]) => {
    try {
      return execFileSync("go", ["tool", "pprof", "-top", "-nodecount=" + String(TOP), ...extra, file], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, GOFLAGS: "" },
      }).toString();
    } catch {
      return undefined;
    }
  };
  const flat = run([]);
  const cum = run(["-cum"]);
  if (!flat || !cum) return undefined;
  const secs = (v: string) => (v.endsWith("ms") ? Number(v.slice(0, -2)) / 1000 : v.endsWith("s") ? Number(v.slice(0, -1)) : Number(v));
  const rows = (out: string) =>
    out
      .split("\n")
      .map((l) => /^\s*([\d.]+m?s)\s+[\d.]+%\s+[\d.]+%\s+([\d.]+m?s)\s+[\d.]+%\s+(.+)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ fn: m[3]!.trim(), flat: secs(m[1]!), cum: secs(m[2]!) }));
  const total = /Total samples = ([\d.]+m?s)/.exec(flat)?.[1];
  return { busy: total ? secs(total) : 0, top: rows(flat), cum: rows(cum) };
}

interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size by constructor of a .heapsnapshot (what is live after the GC the snapshot forces). */
export function summariseHeap(file: string, rssMb: number): HeapSummary {
  const h = JSON.parse(readFileSync(file, "utf8")) as HeapSnapshot;
  const f = h.snapshot.meta.node_fields;
  const width = f.length;
  const [iType, iName, iSize] = [f.indexOf("type"), f.indexOf("name"), f.indexOf("self_size")];
  const types = h.snapshot.meta.node_types[0];
  const by = new Map<string, [number, number]>();
  let total = 0;
  for (let i = 0; i < h.nodes.length; i += width) {
    const type = types[h.nodes[i + iType]!]!;
    const size = h.nodes[i + iSize]!;
    total += size;
    // Objects by constructor; strings, code, arrays and the rest by their kind.
    const name = type === "object" || type === "closure" ? h.strings[h.nodes[i + iName]!]! : `(${type})`;
    const e = by.get(name) ?? [0, 0];
    e[0] += size;
    e[1]++;
    by.set(name, e);
  }
  return {
    rssMb: +rssMb.toFixed(0),
    heapMb: +(total / 2 ** 20).toFixed(1),
    byConstructor: [...by.entries()]
      .sort((a, b) => b[1][0] - a[1][0])
      .slice(0, TOP)
      .map(([n, [s, c]]) => [n, +(s / 2 ** 20).toFixed(1), c]),
  };
}

/** The largest file in `dir` whose name matches `re` (several processes may have written one each). */
function largest(dir: string, re: RegExp): string | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

/** The newest file in `dir` whose name matches `re`. */
function newest(dir: string, re: RegExp): string | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

export class Profiler {
  private readonly realRoot: string;

  /**
   * Profiles go under `dir`; `pulumiRoot` is the CLI's root (NETKIT_PULUMI_ROOT): a wrapper
   * root beside it adds --profiling while a phase is profiled, and links everything else.
   */
  constructor(
    readonly dir: string,
    pulumiRoot: string,
  ) {
    this.realRoot = pulumiRoot;
    mkdirSync(dir, { recursive: true });
  }

  /** A CLI root whose `pulumi` profiles itself when NETKIT_ENGINE_PROFILE names a file prefix. */
  wrapperRoot(): string {
    const root = join(this.dir, "pulumi-root");
    const bin = join(root, "bin");
    rmSync(root, { recursive: true, force: true });
    mkdirSync(bin, { recursive: true });
    const real = join(this.realRoot, "bin");
    for (const f of readdirSync(real)) if (f !== "pulumi") symlinkSync(join(real, f), join(bin, f));
    const script = join(bin, "pulumi");
    writeFileSync(
      script,
      `#!/bin/sh\nif [ -n "\${NETKIT_ENGINE_PROFILE:-}" ]; then exec "${join(real, "pulumi")}" --profiling "$NETKIT_ENGINE_PROFILE" "$@"; fi\nexec "${join(real, "pulumi")}" "$@"\n`,
    );
    chmodSync(script, 0o755);
    return root;
  }

  /**
   * Runs `fn` with the three sides profiled; `heap`: the provider also writes heap snapshots
   * as its RSS grows (the caller's RSS sampler signals it through `onRss`).
   */
  async around(at: { workload: string; n: number; phase: string }, fn: (onRss?: (pid: number, mb: number) => void) => Promise<void>, heap = false): Promise<PhaseProfile> {
    const dir = join(this.dir, `${at.workload}-${at.n}-${at.phase}`);
    rmSync(dir, { recursive: true, force: true });
    const [prov, eng, snaps] = [join(dir, "provider"), join(dir, "engine"), join(dir, "heap")];
    for (const d of [prov, eng, snaps]) mkdirSync(d, { recursive: true });
    const saved = { NODE_OPTIONS: process.env.NODE_OPTIONS, NETKIT_ENGINE_PROFILE: process.env.NETKIT_ENGINE_PROFILE, NETKIT_CPU_PROFILE_DIR: process.env.NETKIT_CPU_PROFILE_DIR };
    process.env.NODE_OPTIONS = [saved.NODE_OPTIONS, `--require ${join(__dirname, "profile-hook.js")}`, heap ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snaps}` : ""]
      .filter(Boolean)
      .join(" ");
    process.env.NETKIT_CPU_PROFILE_DIR = prov;
    process.env.NETKIT_ENGINE_PROFILE = join(eng, "pulumi");
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    let lastSnapMb = 0;
    let snapRss = 0;
    // A process is signalled only once it has run a while: SIGUSR2 ends a node that has not
    // yet installed the snapshot handler (or the shell that starts it).
    const firstSeen = new Map<number, number>();
    const onRss = heap
      ? (pid: number, mb: number) => {
          if (!firstSeen.has(pid)) firstSeen.set(pid, Date.now());
          if (Date.now() - firstSeen.get(pid)! < HANDLER_GRACE_MS) return;
          if (mb < lastSnapMb + HEAP_STEP_MB) return;
          lastSnapMb = mb;
          snapRss = mb;
          try {
            process.kill(pid, "SIGUSR2");
          } catch {
            // exited meanwhile
          }
        }
      : undefined;
    try {
      await fn(onRss);
    } finally {
      const { profile } = await session.post("Profiler.stop");
      session.disconnect();
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      writeFileSync(join(dir, "program.cpuprofile"), JSON.stringify(profile));
    }
    const out: PhaseProfile = { ...at };
    out.program = summariseCpu(JSON.parse(readFileSync(join(dir, "program.cpuprofile"), "utf8")) as CpuProfile);
    // The provider wrote its profile as it exited, with the `pulumi` run.
    const cpu = largest(prov, /\.cpuprofile$/);
    if (cpu) out.provider = summariseCpu(JSON.parse(readFileSync(cpu, "utf8")) as CpuProfile);
    const go = largest(eng, /\.cpu$/);
    const e = go ? summariseGo(go) : undefined;
    if (e) out.engine = e;
    const snap = newest(snaps, /\.heapsnapshot$/);
    if (snap) out.heap = summariseHeap(snap, snapRss);
    writeFileSync(join(dir, "summary.json"), JSON.stringify(out, null, 1));
    return out;
  }
}
