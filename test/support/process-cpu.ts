// CPU time of a process tree, from /proc (Linux): what a worker and everything under it (test
// hosts' qemu, the pulumi CLI, provider plugins) have used so far. Processes that ended count
// through their parents' totals of waited-for children. Read at a test file's start and end,
// the difference is the file's CPU time, which says how much of a core its wall time kept busy.
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: /proc counts CPU time in these ticks (100 per second on every Linux architecture). */
const TICKS_PER_S = 100;

interface Stat {
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

function stat(pid: string): Stat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command (which may hold spaces and parentheses): state ppid … utime(14) stime cutime cstime.
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** CPU milliseconds used by `root` and its live descendants (and the children they reaped); undefined without /proc. */
export function treeCpuMs(root: number): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  const stats = new Map<number, Stat>();
  for (const p of pids) {
    const s = stat(p);
    if (s) stats.set(Number(p), s);
  }
  if (!stats.has(root)) return undefined;
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  let ticks = 0;
  for (const todo = [root]; todo.length;) {
    const pid = todo.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return (ticks * 1000) / TICKS_PER_S;
}
