// The provider process's memory while an operation runs: the largest resident set of any
// provider plugin process below this one (the dynamic provider's pulumi-resource-pulumi-nodejs,
// or pulumi-resource-netkit for the plugin route), sampled from /proc every SAMPLE_MS.
import { existsSync, readdirSync, readFileSync } from "node:fs";

const SAMPLE_MS = 200;
const PROVIDER = /pulumi-resource-(pulumi-nodejs|netkit)|provider\/plugin\/main|dynamic-provider/;

/** pid → ppid of every process now. */
function parents(): Map<number, number> {
  const m = new Map<number, number>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      m.set(Number(e), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  return m;
}

/**
 * The processes below `root`. The sampler runs in the benchmark's own process, whose CPU
 * counts as local CPU: it follows /proc/PID/task/TID/children down from `root` rather than
 * reading every process on a shared machine five times a second, and falls back to that where
 * the kernel has no children files.
 */
function descendants(root: number): number[] {
  if (!existsSync(`/proc/${process.pid}/task/${process.pid}/children`)) {
    const pp = parents();
    const below = new Set([root]);
    for (let grew = true; grew;) {
      grew = false;
      for (const [pid, ppid] of pp)
        if (below.has(ppid) && !below.has(pid)) {
          below.add(pid);
          grew = true;
        }
    }
    below.delete(root);
    return [...below];
  }
  const out: number[] = [];
  const todo = [root];
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, "utf8").split(" ").filter(Boolean)) {
          out.push(Number(c));
          todo.push(Number(c));
        }
      } catch {
        /* the thread ended meanwhile */
      }
    }
  }
  return out;
}

/** Resident set of each provider process below `root`, in MB. */
export function providerRss(root = process.pid): Array<{ pid: number; mb: number }> {
  const out: Array<{ pid: number; mb: number }> = [];
  for (const pid of descendants(root)) {
    try {
      if (!PROVIDER.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " "))) continue;
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      if (kb) out.push({ pid, mb: Number(kb) / 1024 });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * Samples providerRss until stop() is called; stop() returns the largest seen (0: no provider
 * process seen). `onSample` sees every sample (the profiler asks for heap snapshots from it).
 */
export function sampleRss(onSample?: (pid: number, mb: number) => void): { stop(): number } {
  let max = 0;
  const tick = () => {
    for (const p of providerRss()) {
      max = Math.max(max, p.mb);
      onSample?.(p.pid, p.mb);
    }
  };
  const timer = setInterval(tick, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return max;
    },
  };
}
