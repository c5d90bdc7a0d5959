// The report's account of where an operation's cost goes: what one resource holds in the
// checkpoint (state-size.ts) and the profiles of a `--profile` run (profile.ts), by side
// (the program, the provider process, the engine) and by their top frames.
import type { Measurement } from "./measurement";
import type { CpuSummary, EngineSummary, PhaseProfile } from "./profile";

/** A profiled run whose profiles the report shows (its own, or another's given with --profiles). */
export interface ProfileRun {
  command: string;
  date: string;
  load: number[];
  rows: Measurement[];
}

function table(head: string[], rows: string[][]): string {
  const line = (r: string[]) => `| ${r.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const secs = (v: number | undefined) => (v === undefined ? "–" : v.toFixed(1));
const cell = (t: string) => t.replace(/\|/g, "\\|");

/** Bytes per resource in the checkpoint, by workload and N, and one resource's parts at the largest N. */
export function stateSection(ms: Measurement[], labels: Record<string, string>): string {
  const rows = ms.filter((m) => m.state).sort((a, b) => a.workload.localeCompare(b.workload) || a.n - b.n);
  if (!rows.length) return "";
  const out = [
    table(
      ["workload", "N", "checkpoint KiB", "bytes per resource", "resource type"],
      rows.map((m) => [labels[m.workload] ?? m.workload, String(m.n), (m.state!.file / 1024).toFixed(0), String(m.state!.perResource), `\`${m.state!.type}\``]),
    ),
  ];
  const byWorkload = new Map<string, Measurement>();
  for (const m of rows) byWorkload.set(m.workload, m);
  for (const m of byWorkload.values())
    out.push(
      `\nOne ${m.state!.type.split(":").pop()} of ${labels[m.workload] ?? m.workload} at N = ${m.n}, by part (bytes): ${m.state!.parts.map(([p, b]) => `${p} ${b}`).join("; ")}.`,
    );
  return out.join("\n");
}

function topFrames(s: CpuSummary | undefined, k: number): string {
  if (!s) return "–";
  return s.top
    .slice(0, k)
    .map((f) => `${f.fn}${f.where ? ` (${f.where})` : ""} ${f.self.toFixed(2)}`)
    .join("; ");
}

function engineFrames(e: EngineSummary | undefined, k: number): string {
  if (!e) return "–";
  return e.top
    .slice(0, k)
    .map((f) => `${f.fn} ${f.flat.toFixed(2)}`)
    .join("; ");
}

/** The busy seconds of each side per profiled phase, with the heaviest frames. */
export function profileSection(run: ProfileRun, labels: Record<string, string>): string {
  const profiled = run.rows.filter((m): m is Measurement & { profile: PhaseProfile } => !!m.profile);
  if (!profiled.length) return "";
  const busy = table(
    ["workload", "N", "phase", "wall s", "program CPU s", "provider CPU s", "engine CPU s", "provider: by origin (self s)"],
    profiled.map((m) => [
      labels[m.workload] ?? m.workload,
      String(m.n),
      m.phase,
      (m.ms / 1000).toFixed(1),
      secs(m.profile.program?.busy),
      secs(m.profile.provider?.busy),
      secs(m.profile.engine?.busy),
      cell(
        (m.profile.provider?.byOrigin ?? [])
          .slice(0, 4)
          .map(([o, s]) => `${o} ${s.toFixed(1)}`)
          .join(", ") || "–",
      ),
    ]),
  );
  const frames = table(
    ["workload", "N", "phase", "side", "top frames by self time (s)"],
    profiled.flatMap((m) =>
      (
        [
          ["program", topFrames(m.profile.program, 5)],
          ["provider", topFrames(m.profile.provider, 5)],
          ["engine", engineFrames(m.profile.engine, 5)],
        ] as const
      ).map(([side, text]) => [labels[m.workload] ?? m.workload, String(m.n), m.phase, side, cell(text)]),
    ),
  );
  const ours = profiled
    .filter((m) => m.profile.provider?.ours.length)
    .map(
      (m) =>
        `- ${labels[m.workload] ?? m.workload}, N = ${m.n}, ${m.phase}: ` +
        m.profile
          .provider!.ours.slice(0, 5)
          .map((f) => `${f.fn} (${f.where}) ${f.total.toFixed(2)} s`)
          .join("; "),
    );
  const heaps = profiled
    .filter((m) => m.profile.heap)
    .map(
      (m) =>
        `- ${labels[m.workload] ?? m.workload}, N = ${m.n}, ${m.phase}: ${m.profile.heap!.heapMb} MB live at an RSS of ${m.profile.heap!.rssMb} MB; largest: ` +
        m.profile
          .heap!.byConstructor.slice(0, 6)
          .map(([n, mb, c]) => `${n} ${mb} MB (${c})`)
          .join(", "),
    );
  return [
    `Profiled by \`${run.command}\` on ${run.date} (load ${run.load.map((l) => l.toFixed(1)).join(" / ")} at the start); the profilers' own cost is in these times, so read them for where the CPU goes, not for how long an operation takes.`,
    "",
    "CPU seconds each side spent, sampled: the **program** (the inline program and the Automation API, in the benchmark's process; the YAML route's program runs in pulumi-language-yaml, not profiled), the **provider** process, and the **engine** (`pulumi`, its Go CPU profile).",
    "",
    busy,
    "",
    frames,
    "",
    ...(ours.length ? ["Our code in the provider process, by total time (what it called included):", "", ...ours, ""] : []),
    ...(heaps.length ? ["The provider's heap at its largest snapshot during the refresh (live objects after the GC the snapshot forces):", "", ...heaps, ""] : []),
  ].join("\n");
}
