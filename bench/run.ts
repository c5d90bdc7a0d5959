// `npm run bench [-- --sizes 10,50 --workloads netkit,floor --out FILE]`: boots one test
// host, runs every workload at every size (up, refresh, destroy; each measured and checked),
// prints the results and writes docs/benchmark.md. See docs/benchmark.md for what is measured.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { basename, join } from "node:path";
import { plotSvg } from "./plot";
import { startTestHosts } from "../testhost";
import { repoRoot } from "../harness/pulumi";
import { BenchHost, PEER_NETNS } from "./host";
import type { Measurement, RunInfo } from "./measurement";
import { renderReport, type ReportExtras } from "./report";
import { commandEmulationWorkload, commandPluginWorkload } from "./workloads/command";
import { floorWorkload } from "./workloads/floor";
import { floorBatchesWorkload } from "./workloads/floor-batches";
import { netkitWorkload } from "./workloads/netkit";
import { noopWorkload } from "./workloads/noop";
import { noopStateWorkload } from "./workloads/noop-state";
import { pluginWorkload } from "./workloads/plugin";
import { multiHost } from "./multihost";
import { Profiler, type PhaseProfile } from "./profile";
import { checkpointFile, stateSize } from "./state-size";
import type { Workload } from "./workloads/workload";

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

interface Args {
  sizes: number[];
  workloads: string[];
  out: string;
  /** Re-render the report from a saved run (the .json written beside the report) instead of measuring. */
  render?: string;
  /** Several hosts ("4x50": 4 hosts, 50 pairs each) in one stack and in a stack each, measured beside one host with as many; 0x0: not measured. */
  hosts: { hosts: number; perHost: number };
  /** Profile every engine phase into this directory (profile.ts); the times then include the profilers' cost. */
  profile?: string;
  /** Show the profiles of another run (its saved FILE.json) in the report. */
  profiles?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [10, 50, 100], workloads: [], out: join(repoRoot, "docs", "benchmark.md"), hosts: { hosts: 4, perHost: 50 } };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--sizes") a.sizes = value().split(",").map(Number);
    else if (flag === "--workloads") a.workloads = value().split(",").filter(Boolean);
    else if (flag === "--out") a.out = value();
    else if (flag === "--render") a.render = value();
    else if (flag === "--profile") a.profile = value();
    else if (flag === "--profiles") a.profiles = value();
    else if (flag === "--hosts") {
      const m = /^(\d+)x(\d+)$/.exec(value());
      if (!m) throw new Error("--hosts takes HOSTSxPAIRS, e.g. 4x50 (0x0: skip)");
      a.hosts = { hosts: Number(m[1]), perHost: Number(m[2]) };
    } else
      throw new Error(
        `unknown argument ${argv[i]}; use --sizes 10,50,100 --workloads ${allWorkloads()
          .map((w) => w.key)
          .join(",")} --hosts 4x50 --profile DIR --out FILE.md, or --render FILE.json`,
      );
  }
  if (!a.sizes.length || a.sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) throw new Error(`--sizes takes integers from 1 to 1000, not ${a.sizes.join(",")}`);
  return a;
}

function allWorkloads(): Workload[] {
  const plugin = process.env.PULUMI_COMMAND_PLUGIN;
  return [netkitWorkload, pluginWorkload, plugin ? commandPluginWorkload(plugin) : commandEmulationWorkload, floorWorkload, floorBatchesWorkload, noopWorkload, noopStateWorkload];
}

/** The pairs of a workload on the host: primaries `PREFIXi`, peers `PREFIXip` in the netns. */
async function pairsOnHost(host: BenchHost, prefix: string): Promise<{ primaries: string[]; peers: string[] }> {
  const d = await host.devices();
  return { primaries: d.host.filter((n) => new RegExp(`^${prefix}\\d+$`).test(n)), peers: d.peerNetns.filter((n) => new RegExp(`^${prefix}\\d+p$`).test(n)) };
}

async function checkPairs(host: BenchHost, w: Workload, n: number, phase: string, want: number): Promise<void> {
  if (!w.prefix) return;
  const p = await pairsOnHost(host, w.prefix);
  if (p.primaries.length !== want || p.peers.length !== want)
    throw new Error(`${w.key} after ${phase}: the host has ${p.primaries.length} primaries and ${p.peers.length} peers in ${PEER_NETNS}, expected ${want} of each (N=${n})`);
}

/** Deletes whatever a failed workload left, so the next one starts clean. */
async function sweep(host: BenchHost, w: Workload): Promise<void> {
  if (!w.prefix) return;
  for (const name of (await pairsOnHost(host, w.prefix)).primaries) await host.run([host.ip, "link", "del", name]).catch(() => undefined);
}

/**
 * The findings (bench/findings.md, kept by hand beside the generator) and the profiles: this
 * run's, or those of the run saved in `profilesFrom` (--profiles FILE.json).
 */
function extras(results: Measurement[], info: RunInfo, profilesFrom?: string): ReportExtras {
  const findings = join(repoRoot, "bench", "findings.md");
  const out: ReportExtras = existsSync(findings) ? { findings: readFileSync(findings, "utf8") } : {};
  if (results.some((m) => m.profile)) out.profiles = { command: info.command, date: info.date, load: info.loadStart, rows: results };
  else if (profilesFrom) {
    const saved = JSON.parse(readFileSync(profilesFrom, "utf8")) as { info: RunInfo; results: Measurement[] };
    out.profiles = { command: saved.info.command, date: saved.info.date, load: saved.info.loadStart, rows: saved.results };
  }
  return out;
}

/** Writes the report, its plot and the raw run; `final`: also prints the report. */
function write(out: string, results: Measurement[], info: RunInfo, final = true, profilesFrom?: string): void {
  const svg = out.replace(/\.md$/, "") + ".svg";
  info.plot = basename(svg);
  const single = results.filter((m) => !m.workload.startsWith("multihost"));
  writeFileSync(svg, plotSvg(single, ["up", "preview", "refresh", "destroy"], info.labels));
  const report = renderReport(results, info, extras(results, info, profilesFrom));
  writeFileSync(out, report);
  writeFileSync(out.replace(/\.md$/, "") + ".json", JSON.stringify({ info, results }, null, 1) + "\n");
  if (final) process.stdout.write(report);
  log(`wrote ${out}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.render) {
    const saved = JSON.parse(readFileSync(args.render, "utf8")) as { info: RunInfo; results: Measurement[] };
    return write(args.out, saved.results, saved.info, true, args.profiles);
  }
  const pulumiRoot = process.env.NETKIT_PULUMI_ROOT;
  const netkitIp = process.env.NETKIT_IP;
  if (!pulumiRoot || !netkitIp) throw new Error("NETKIT_PULUMI_ROOT and NETKIT_IP are not set: run `npm run bench`, which provisions them");
  const profiler = args.profile ? new Profiler(args.profile, pulumiRoot) : undefined;
  // Every `pulumi` the benchmark starts is the profiler's wrapper from here on.
  if (profiler) process.env.NETKIT_PULUMI_ROOT = profiler.wrapperRoot();
  const known = allWorkloads();
  const selected = args.workloads.length
    ? args.workloads.map((k) => known.find((w) => w.key === k || (k === "command" && w.key === "command-plugin")) ?? fail(`unknown workload ${k}`))
    : known;

  const loadStart = loadavg();
  let accel = "tcg";
  const set = await startTestHosts(1, {
    name: "bench",
    log: (l) => {
      if (/\(kvm\)/.test(l)) accel = "kvm";
      log(l);
    },
  });
  const results: Measurement[] = [];
  const failures: string[] = [];
  let calibration: RunInfo["calibration"] = [];
  try {
    const vm = set.hosts[0]!;
    const host = await BenchHost.prepare(vm, netkitIp);
    try {
      calibration = await host.calibrate();
      for (const c of calibration) log(`${(c.ms / 1000).toFixed(2)} s: ${c.step}`);
      // The several-host run first, then the sizes upwards; the report is written after each
      // step, so that a run cut short still leaves what it measured.
      if (args.hosts.hosts > 0) {
        try {
          results.push(...(await multiHost(vm, host, netkitIp, args.hosts.hosts, args.hosts.perHost, log)));
        } catch (e) {
          const msg = `multihost ${args.hosts.hosts}x${args.hosts.perHost}: ${(e as Error).message}`;
          failures.push(msg);
          log(`FAILED ${msg}`);
        }
        write(args.out, results, info([]), false, args.profiles);
      }
      for (const n of args.sizes) {
        for (const w of selected) {
          log(`${w.key} N=${n}: preparing`);
          // A failed workload is reported and the others still run; the exit status says so.
          try {
            await checkPairs(host, w, n, "setup", 0);
            const inst = await w.start(host, n);
            try {
              for (const { phase, run } of inst.phases) {
                const load = loadavg()[0]!;
                let profile: PhaseProfile | undefined;
                const measured = (onRss?: (pid: number, mb: number) => void) => host.measure(run, onRss);
                const m =
                  profiler && inst.stateDir
                    ? await (async () => {
                        let r: Awaited<ReturnType<typeof measured>> | undefined;
                        // Heap snapshots in the refresh, whose RSS grows with N.
                        profile = await profiler.around({ workload: w.key, n, phase }, async (onRss) => void (r = await measured(onRss)), phase === "refresh");
                        return r!;
                      })()
                    : await measured();
                const row: Measurement = { n, workload: w.key, phase, ms: m.ms, localCpu: m.cpu.local, guestCpu: m.cpu.guest, ...m.counts, load, rssMb: m.rssMb };
                if (phase === "up" && inst.stateDir && w.resourceType) {
                  const file = checkpointFile(inst.stateDir);
                  const size = file ? stateSize(file, w.resourceType) : undefined;
                  if (size) row.state = size;
                  // The checkpoint itself beside the profiles, to see what a resource holds.
                  if (file && profiler) copyFileSync(file, join(profiler.dir, `${w.key}-${n}-checkpoint.json`));
                }
                if (profile) row.profile = profile;
                results.push(row);
                log(
                  `${w.key} N=${n} ${phase}: ${(m.ms / 1000).toFixed(1)} s, CPU ${m.cpu.local.toFixed(1)} s local + ${m.cpu.guest.toFixed(1)} s guest, ` +
                    `${m.counts.handshakes} handshakes, ${m.counts.commands} remote commands, provider RSS ${m.rssMb.toFixed(0)} MB (load ${load.toFixed(1)})`,
                );
                if (row.state) log(`${w.key} N=${n}: checkpoint ${(row.state.file / 1024).toFixed(0)} KiB, ${row.state.perResource} bytes per ${row.state.type}`);
                if (profile) log(`${w.key} N=${n} ${phase}: profiles in ${profiler!.dir}: ${profileLine(profile)}`);
                if (phase === "up") await checkPairs(host, w, n, phase, n);
                if (phase === "destroy") await checkPairs(host, w, n, phase, 0);
              }
            } finally {
              await inst.dispose();
              await sweep(host, w);
            }
          } catch (e) {
            const msg = `${w.key} N=${n}: ${(e as Error).message}`;
            failures.push(msg);
            log(`FAILED ${msg}`);
          }
        }
        write(args.out, results, info(args.sizes.filter((k) => k <= n)), false, args.profiles);
      }
    } finally {
      host.close();
    }
    write(args.out, results, info(args.sizes), true, args.profiles);
    if (failures.length) process.exitCode = 1;
  } finally {
    await set.stop();
  }

  /** What the report says about the run, with the sizes measured so far. */
  function info(sizes: number[]): RunInfo {
    const vm = set.hosts[0]!;
    return {
      date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
      accel: accel.toUpperCase(),
      kernel: vm.kernelRelease,
      pulumi: execFileSync(join(pulumiRoot!, "bin", "pulumi"), ["version"])
        .toString()
        .trim(),
      node: process.version,
      sizes,
      labels: Object.fromEntries(known.map((w) => [w.key, w.label])),
      baselineA: selected.some((w) => w.key === "command-plugin") ? "command-plugin" : "command",
      loadStart,
      loadEnd: loadavg(),
      failures,
      calibration,
      ...(args.hosts.hosts > 0 ? { multiHost: args.hosts } : {}),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    };
  }
}

/** Busy seconds of each profiled side, and the heaviest frame of each. */
function profileLine(p: PhaseProfile): string {
  const side = (name: string, s: { busy: number; top: Array<{ fn: string }> } | undefined) => (s ? `${name} ${s.busy.toFixed(1)} s (top: ${s.top[0]?.fn ?? "–"})` : `${name} –`);
  return [side("program", p.program), side("provider", p.provider), side("engine", p.engine), p.heap ? `heap ${p.heap.heapMb} MB live at RSS ${p.heap.rssMb} MB` : ""]
    .filter(Boolean)
    .join("; ");
}

function fail(msg: string): never {
  throw new Error(msg);
}

// Exits when done: a workload that failed half-way can leave a handle open (its inline
// program's server, a stack operation the engine still finishes), which would keep the
// process waiting after the report is written.
main().then(
  () => process.exit(),
  (e: unknown) => {
    log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
