// CPU seconds spent on each side of an operation. On a shared machine, contention stretches
// wall time but not CPU time, so these say what an operation costs when the times do not.
//   local: this process and every child it has waited for (the `pulumi` CLI, and through it
//          the provider plugins it started and reaped), from /proc/self/stat;
//   guest: the test host's qemu process, i.e. everything the host did, emulated.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const HZ = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** utime, stime, cutime, cstime of a process, in seconds. */
function times(pid: number | "self"): [number, number, number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [f[11], f[12], f[13], f[14]].map((v) => Number(v) / HZ) as [number, number, number, number];
}

/** The qemu process whose serial console writes to `logPath`. */
export function qemuPid(logPath: string): number {
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (argv[0]?.includes("qemu-system") && argv.some((a) => a.includes(`path=${logPath}`))) return Number(d);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  throw new Error(`no qemu process writes its console to ${logPath}`);
}

export interface Cpu {
  local: number;
  guest: number;
}

export function cpuNow(guestPid: number): Cpu {
  const [u, s, cu, cs] = times("self");
  const [gu, gs] = times(guestPid);
  return { local: u + s + cu + cs, guest: gu + gs };
}

export function cpuSince(start: Cpu, guestPid: number): Cpu {
  const now = cpuNow(guestPid);
  return { local: now.local - start.local, guest: now.guest - start.guest };
}
