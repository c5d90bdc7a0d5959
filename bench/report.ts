// Turns measurements into docs/benchmark.md: the tables, the ratios, the targets against the
// per-resource baseline and those near the floor and at fleet scale (scale-targets.ts), with a
// verdict each, and for a missed target what the numbers say about why.
import { STREAM_IN_FLIGHT } from "../provider/host/relay-queue";
import { SNAPSHOT_MAX_AGE_MS } from "../provider/host/link-snapshot";
import type { Measurement, RunInfo } from "./measurement";
import { scaleTargetsSection } from "./scale-targets";
import { profileSection, stateSection, type ProfileRun } from "./where-time-goes";
import type { Phase } from "./workloads/workload";

const s = (ms: number) => (ms / 1000).toFixed(1);
const aName = (info: RunInfo) => (info.baselineA === "command" ? "(a')" : "(a)");
const cal = (info: RunInfo, key: string) => {
  const c = info.calibration.find((k) => k.key === key);
  return c ? (c.ms / 1000).toFixed(2) : "?";
};
const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "–");

/** Local and host CPU seconds together: the work an operation took, wherever it ran. */
const cpuOf = (m: Measurement) => m.localCpu + m.guestCpu;

function find(ms: Measurement[], n: number, workload: string, phase: Phase): Measurement | undefined {
  return ms.find((m) => m.n === n && m.workload === workload && m.phase === phase);
}

function table(head: string[], rows: string[][]): string {
  const line = (r: string[]) => `| ${r.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

function resultTables(ms: Measurement[], info: RunInfo): string {
  const out: string[] = [];
  for (const n of info.sizes) {
    const rows = ms
      .filter((m) => m.n === n && !m.workload.startsWith("multihost"))
      .map((m) => [
        info.labels[m.workload] ?? m.workload,
        m.phase,
        s(m.ms),
        m.localCpu.toFixed(1),
        m.guestCpu.toFixed(1),
        String(m.handshakes),
        String(m.commands),
        (m.commands / n).toFixed(2),
        m.load.toFixed(1),
        m.rssMb ? m.rssMb.toFixed(0) : "–",
      ]);
    out.push(
      `### N = ${n}\n\n${table(["workload", "phase", "wall s", "local CPU s", "host CPU s", "SSH handshakes", "remote commands", "commands / resource", "load (1 min)", "provider RSS MB"], rows)}`,
    );
  }
  const mh = info.multiHost;
  const multi = ms.filter((m) => m.workload.startsWith("multihost"));
  if (mh && multi.length)
    out.push(
      `### ${mh.hosts} hosts × ${mh.perHost} pairs in one stack, in a stack per host side by side, and one host × ${mh.perHost} pairs (the same booted hosts; provider RSS is the largest provider process's, and a stack per host runs one each)\n\n` +
        table(
          ["stack", "phase", "wall s", "local CPU s", "hosts' CPU s", "SSH handshakes", "remote commands", "load (1 min)", "provider RSS MB"],
          multi.map((m) => [
            m.workload === "multihost"
              ? `${mh.hosts} hosts × ${mh.perHost}`
              : m.workload === "multihost-stacks"
                ? `${mh.hosts} stacks × ${mh.perHost}, side by side`
                : `1 host × ${mh.perHost}`,
            m.phase,
            s(m.ms),
            m.localCpu.toFixed(1),
            m.guestCpu.toFixed(1),
            String(m.handshakes),
            String(m.commands),
            m.load.toFixed(1),
            m.rssMb ? m.rssMb.toFixed(0) : "–",
          ]),
        ),
    );
  return out.join("\n\n");
}

function ratioTable(ms: Measurement[], info: RunInfo): string {
  const rows: string[][] = [];
  for (const n of info.sizes) {
    for (const phase of ["up", "refresh", "destroy"] as const) {
      const nk = find(ms, n, "netkit", phase);
      if (!nk) continue;
      const r = (w: string) => {
        const b = find(ms, n, w, phase);
        return b ? x(nk.ms / b.ms) : "–";
      };
      const base = find(ms, n, info.baselineA, phase);
      const cpuRatio = base ? x(cpuOf(nk) / cpuOf(base)) : "–";
      const floor = find(ms, n, "noop", phase);
      rows.push([String(n), phase, s(nk.ms), r(info.baselineA), cpuRatio, r("floor"), r("noop"), floor ? s(nk.ms - floor.ms) : "–"]);
    }
    const a = find(ms, n, info.baselineA, "refresh+check");
    const nk = find(ms, n, "netkit", "refresh");
    if (a && nk) rows.push([String(n), `refresh ÷ ${aName(info)} refresh+check`, s(nk.ms), x(nk.ms / a.ms), x(cpuOf(nk) / cpuOf(a)), "", "", ""]);
  }
  return table(["N", "phase", "netkit s", `÷ ${aName(info)}`, `÷ ${aName(info)}, CPU`, "÷ (b) floor", "÷ (c) engine", "netkit − (c) s"], rows);
}

/** The provider's round trips per pair and phase, and where they come from. */
function roundTrips(ms: Measurement[], info: RunInfo): string {
  const nk = ms.filter((m) => m.workload === "netkit");
  if (!nk.length) return "netkit not measured.";
  const per = (phase: Phase) =>
    nk
      .filter((m) => m.phase === phase)
      .map((m) => `${m.commands} for ${m.n}`)
      .join(", ");
  return [
    `- **up**: ${per("up")}: one SSH exec channel per host and run: the host's relay (python3) is started once and every ` +
      `request is streamed to it over that channel and answered as it completes (provider/host/relay-stream.ts); requests that ` +
      `arrive while ${STREAM_IN_FLIGHT} runs are under way share the next one (provider/host/relay-queue.ts). The preview checks of ` +
      `the new pairs are answered from one snapshot of the host's links, taken at the first check (LinkSnapshot.answer): ` +
      `one batch per pair, the create.`,
    `- **refresh**: ${per("refresh")}: the first read of a host takes a snapshot of its links (host netns and every netns in /run/netns, ` +
      `one relay run; provider/host/link-snapshot.ts) and every other read of the refresh is answered from it; no preflight.`,
    `- **destroy**: ${per("destroy")}: one relay batch per pair checks that the device is the netkit primary the state recorded and ` +
      `deletes it by ifindex, under the host's writer lock (HostClient.deleteNetkit in provider/host/client.ts).`,
    `- ${aName(info)} pays one SSH connection and one command per pair and operation; (b) one connection and one batch per operation.`,
    `- A round trip on the running relay costs ${cal(info, "relay-next")} s here, against ${cal(info, "relay")} s for starting python3 with one read.`,
  ].join("\n");
}

/** The findings, what one resource holds in the checkpoint, and the profiles; empty when the run has none of them. */
function whereTimeGoes(ms: Measurement[], info: RunInfo, extras: ReportExtras): string {
  const parts: string[] = [];
  if (extras.findings?.trim()) parts.push(`## Findings\n\n${extras.findings.trim()}\n`);
  const state = stateSection(
    [...ms, ...(extras.profiles?.rows ?? []).filter((m) => !ms.some((x) => x.workload === m.workload && x.n === m.n && x.phase === m.phase && x.state))],
    info.labels,
  );
  if (state)
    parts.push(
      `## What one resource holds in the checkpoint\n\nThe engine writes the whole checkpoint after every step of an operation, so an operation on N resources writes about N × N × (bytes per resource): measured after \`up\`, from the file backend's checkpoint (bench/state-size.ts).\n\n${state}\n`,
    );
  const prof = extras.profiles ? profileSection(extras.profiles, info.labels) : "";
  if (prof) parts.push(`## Profiles\n\n${prof}`);
  return parts.join("\n");
}

interface Verdict {
  target: string;
  met: boolean | undefined;
  detail: string;
  why?: string;
}

/** The targets against the per-resource baseline (a): handshakes, refresh round trips, `up` time. */
function baselineTargets(ms: Measurement[], info: RunInfo): Verdict[] {
  const nk = ms.filter((m) => m.workload === "netkit");
  const out: Verdict[] = [];

  const hs = nk.filter((m) => m.handshakes !== 1);
  out.push({
    target: "SSH handshakes = number of hosts (1 here), in every operation",
    met: nk.length ? hs.length === 0 : undefined,
    detail: nk.length ? (hs.length ? hs.map((m) => `N=${m.n} ${m.phase}: ${m.handshakes}`).join(", ") : `1 handshake in each of ${nk.length} operations`) : "not measured",
    why: hs.length ? "a handshake count above 1 means the provider's session pool dialed again (a dropped or refused connection); see the provider's debug log" : undefined,
  });

  // One host: O(hosts) means a constant a few round trips high (a preflight and a batch), the
  // same at every N. Below N=3 that cannot be told apart from one per resource.
  const rf = nk.filter((m) => m.phase === "refresh");
  const grows = rf.some((m) => m.commands > 2);
  const telling = rf.some((m) => m.n > 2);
  out.push({
    target: "refresh costs O(hosts) round trips, not O(resources)",
    met: rf.length && (grows || telling) ? !grows : undefined,
    detail: rf.length ? rf.map((m) => `N=${m.n}: ${m.commands} remote commands`).join(", ") + (telling ? "" : " (too few resources to tell)") : "not measured",
    why: grows
      ? `The engine calls the provider's read once per resource, at most --parallel (8 here) at a time; the provider answers ` +
        `them from one snapshot of the host's links per refresh (provider/host/link-snapshot.ts), taken again only after ` +
        `a change through the provider or once it is ${SNAPSHOT_MAX_AGE_MS / 1000} s old. ` +
        `${rf.map((m) => `${m.commands} round trips for ${m.n} pairs`).join(", ")} means snapshots were taken again during the ` +
        `refresh (it ran longer than that, or wrote to the host) or reads went directly to the host (peers in a netns outside ` +
        `/run/netns, a dump that failed). What would fix it: a snapshot that lives as long as the refresh (the engine does not ` +
        `tell a dynamic provider when one ends, so the age bound stands in for that).\n`
      : undefined,
  });

  const big = Math.max(...info.sizes);
  const at = info.sizes.includes(100) ? 100 : big;
  const up = find(ms, at, "netkit", "up");
  const a = find(ms, at, info.baselineA, "up");
  const c = find(ms, at, "noop", "up");
  const b = find(ms, at, "floor", "up");
  const ratio = up && a ? up.ms / a.ms : NaN;
  const met = up && a ? ratio <= 0.3 : undefined;
  let why: string | undefined;
  if (met === false && up && a) {
    const engineShare = c ? c.ms / a.ms : NaN;
    const aHostPerPair = a.guestCpu / at;
    why =
      `At N=${at}, up took ${s(up.ms)} s against ${s(a.ms)} s for ${aName(info)}: ${x(ratio)}. ` +
      (c ? `The engine alone, with providers that do nothing (c), took ${s(c.ms)} s (${x(engineShare)} of ${aName(info)}); ` : "") +
      `the rest, ${s(up.ms - (c?.ms ?? 0))} s, goes to the provider's ${up.commands} round trip(s) and the host's work: ` +
      `the host burned ${up.guestCpu.toFixed(1)} s of CPU during this ${s(up.ms)} s run (one vCPU), ` +
      `${aName(info)} ${a.guestCpu.toFixed(1)} s, ${aHostPerPair.toFixed(2)} s per pair, on a new SSH connection (${cal(info, "dial")} s) ` +
      `and three \`ip\` runs (${cal(info, "ip")} s each) per pair. ` +
      (b ? `The same netlink work in one batch (b) took ${s(b.ms)} s, ${b.guestCpu.toFixed(1)} s of it on the host. ` : "") +
      (c && engineShare > 0.3
        ? `No provider behind this engine path can reach 0.3× here: the engine floor of a Node dynamic provider is itself above it ` +
          `(the provider plugin route and a larger --parallel lower that floor).\n`
        : `The target is within reach: engine floor plus one batch is ${c && b ? x((c.ms + b.ms) / a.ms) : "far below 0.3×"} of ${aName(info)}.\n`);
  }
  out.push({
    target: `\`up\` of 100 pairs at most 0.3× baseline (a)`,
    met,
    detail:
      up && a
        ? `N=${at}${at !== 100 ? " (100 not measured in this run)" : ""}: ${s(up.ms)} s vs ${s(a.ms)} s = ${x(ratio)} ` + `(by CPU time, local + host: ${x(cpuOf(up) / cpuOf(a))})`
        : "not measured",
    why,
  });
  return out;
}

/** What the report adds beside the run's own measurements. */
export interface ReportExtras {
  /** The findings, as bench/findings.md has them (markdown), shown as they are. */
  findings?: string;
  /** The profiled run to show (this one, when it was run with --profile, or another). */
  profiles?: ProfileRun;
}

export function renderReport(ms: Measurement[], info: RunInfo, extras: ReportExtras = {}): string {
  const v = baselineTargets(ms, info);
  const mark = (m: boolean | undefined) => (m === undefined ? "not measured" : m ? "**met**" : "**missed**");
  const emulated = info.baselineA === "command";
  return `# Benchmark

Generated by \`${info.command}\` on ${info.date}. Do not edit by hand: run the benchmark again.

One test-host VM (qemu, ${info.accel}, 1 vCPU, Linux ${info.kernel}) on a ${info.cpus}-core machine (${info.cpuModel});
Pulumi CLI ${info.pulumi}, Node ${info.node}, engine parallelism at its default (\`--parallel\` 8 on this machine).
Load average (1/5/15 min) at the start ${info.loadStart.map((l) => l.toFixed(1)).join(" / ")}, at the end ${info.loadEnd.map((l) => l.toFixed(1)).join(" / ")}:
${Math.max(info.loadStart[0]!, info.loadEnd[0]!) > info.cpus * 0.75 ? "**measured under load** (other work shared the machine): read the times as rough, the counts as exact." : "the machine was mostly idle."}
Under TCG every guest instruction is emulated, so absolute times are far above what real hardware shows; the
ratios and, above all, the counts are what carries over.
${(info.notes ?? []).map((n) => `\n**Note:** ${n}\n`).join("")}
## How to run

\`npm run bench\` provisions like the tests (cached), boots one test host and measures N = 10, 50 and 100, then boots
three more and measures 4 hosts × 50 pairs in one stack, then in a stack per host run side by side (the layout of
examples/fleet-stacks; over an hour under TCG). \`npm run bench -- --sizes 10,50\` picks
the sizes (up to 1000), \`--workloads netkit,plugin,floor\` the workloads, \`--hosts 4x50\` the several-host run (\`0x0\`:
none), \`--out FILE.md\` the report (the raw run goes beside it as FILE.json and the plot as FILE.svg;
\`--render FILE.json\` redraws both from it). It prints each measurement as it is made.
\`--profile DIR\` also profiles every engine phase (bench/profile.ts): the program's process, the provider process and
the \`pulumi\` engine itself (its Go CPU profile), with heap snapshots of the provider during the refresh, all kept in DIR
and summarised in the report by their top frames; the times of such a run include the profilers' own cost, so
\`--profiles RUN.json\` shows the profiles of such a run (its saved JSON) in the report of another. The findings are
bench/findings.md, kept by hand and shown as they are.
\`PULUMI_COMMAND_PLUGIN=/path/to/pulumi-resource-command npm run bench\` measures the real pulumi-command plugin as (a).

## What is measured

Workload: N netkit pairs on one host, each peer in the netns \`bench\` (made before any timing), through
\`pulumi up\`, a no-change \`pulumi preview\`, \`pulumi refresh\` and \`pulumi destroy\` (or their equivalents), one run each.
**provider RSS MB** is the largest resident set of a provider plugin process (the dynamic provider's, or
pulumi-resource-netkit's) during the operation, sampled from /proc every 200 ms.

- **wall s**: the operation's wall time as the caller sees it (for the engine: the whole \`pulumi\` run,
  CLI and plugin start-up included).
- **local CPU s**: CPU time of the benchmark process and of every child it reaped during the operation: the
  \`pulumi\` CLI and, through it, the provider plugins (and the inline program, which runs in the benchmark process).
  **host CPU s**: CPU time of the test host's qemu process, i.e. all the host's work (sshd, commands, kernel),
  emulated. Contention from other work on the machine stretches wall times; it inflates CPU times far less.
- **SSH handshakes** and **remote commands** are counted by the server: the guest's sshd logs at
  \`LogLevel VERBOSE\` one \`Accepted publickey\` line per handshake and one \`Starting session: command\`
  line per exec channel, i.e. per remote round trip. The benchmark writes a marker line to the same console
  before and after each operation (over an observer connection opened beforehand) and counts what lies in
  between, less its own end marker.
- Each operation is checked: after \`up\` the host must hold exactly the N pairs (primaries in the host's
  netns, peers in \`bench\`), a refresh must find no drift, and after \`destroy\` nothing may be left.

Workloads:

| key | what |
| --- | --- |
| netkit | ${info.labels.netkit ?? "pulumi-netkit"}: \`new NetkitPair(…, { name, peerName, peerNetns: "bench" })\` × N, connection from stack config as README sets it (netkit:host, netkit:hostKey, secret netkit:privateKey). |
| ${emulated ? "command" : "command-plugin"} | ${
    emulated
      ? "(a') **an emulation of pulumi-command's `remote.Command`**, not the real plugin: its plugin cannot be built here (the Go module proxy refuses `github.com/pulumi/pulumi-command` at every version) nor installed (the npm package `@pulumi/command` downloads the binary from Pulumi's servers in its install script). The emulation reproduces remote.Command's cost model as a Node dynamic resource: every command dials a **new SSH connection** (handshake, up to 10 attempts), runs one command string in one session, and closes; create runs `ip link add NAME type netkit peer name PEER netns bench && ip link set NAME up && ip -n bench link set PEER up`, delete runs `ip link del NAME`; read returns the state untouched, as remote.Command does (it implements no read), so its `refresh` contacts no host and notices no drift. The row **refresh+check** is the same stack refreshed with a read that runs `ip link show` for both devices over a connection of its own, per resource: what per-resource commands cost once a refresh is to verify anything. Set `PULUMI_COMMAND_PLUGIN=/path/to/pulumi-resource-command` to measure the real plugin instead."
      : "(a) pulumi-command's `remote.Command` through the real plugin (`PULUMI_COMMAND_PLUGIN`), declared by type token: create runs `ip link add NAME type netkit peer name PEER netns bench && ip link set NAME up && ip -n bench link set PEER up`, delete `ip link del NAME`; its read does nothing."
  } |
| plugin | ${info.labels.plugin ?? "pulumi-netkit, provider plugin"}: the same pairs declared in a Pulumi YAML program (\`type: netkit:index:NetkitPair\`), the connection from stack config, through the \`pulumi\` CLI. |
| floor | (b) the practical floor: the same netlink requests (create, set both sides up, read back; read; delete) in **one relay batch over one SSH session** per operation, using the provider's own host layer (provider/host/batch.ts, provider/netlink/*), no Pulumi. |
| floor-batches | (b′) (b)'s netlink work sent as one relay batch per pair (its own netns fd, sockets and journal), all at once over one session, no Pulumi: what a batch costs the host beside (b)'s one. |
| noop | (c) the engine's own floor: N Node dynamic resources whose provider does nothing, through the same provider shim as NetkitPair. |
| noop-state | (c′) the engine's floor at NetkitPair's size: the no-op resources of (c), each holding what a NetkitPair holds in state (the same inputs, the connection secret among them, and outputs of the same fields and typical values). netkit − (c′) is the provider's and the host's part; (c′) − (c) is what the engine pays for the bytes (it rewrites the whole checkpoint at the start and end of every step). |

The commands of (a) use a netkit-aware \`ip\` (iproute2 6.15, copied into the guest; the guest's own is 6.1, older than netkit).

## Cost of single steps on this host

Median of 5, measured before the workloads; they explain most of the totals below.

${table(
  ["step", "s"],
  info.calibration.map((c) => [c.step, (c.ms / 1000).toFixed(2)]),
)}

## Results
${info.failures.length ? `\n**Failed in this run** (their rows are missing):\n\n${info.failures.map((f) => `- ${f.split("\n")[0]}`).join("\n")}\n` : ""}
${resultTables(ms, info)}

## Ratios (wall time of netkit ÷ baseline)

The CPU column divides CPU seconds (local + host) instead: less at the mercy of whatever else ran on the machine.
The refresh of ${aName(info)} contacts no host (remote.Command reads nothing), so netkit's refresh ÷ ${aName(info)} compares
a refresh that verifies every device with one that verifies none; the row "refresh ÷ ${aName(info)} refresh+check" compares
it with per-resource commands that do verify.

${ratioTable(ms, info)}

## Round trips per pair

${roundTrips(ms, info)}

${whereTimeGoes(ms, info, extras)}
## Targets near the floor and at fleet scale

![time against N, per phase and workload](${info.plot ?? "benchmark.svg"})

${scaleTargetsSection(ms, info)}

## Targets against the per-resource baseline

${table(
  ["target", "verdict", "measured"],
  v.map((t) => [t.target, mark(t.met), t.detail]),
)}
${v
  .filter((t) => t.met === false && t.why)
  .map((t) => `\n### Missed: ${t.target}\n\n${t.why}`)
  .join("\n")}
`;
}
