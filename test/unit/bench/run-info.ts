// A made-up run's description for the report's tests: the sizes and labels vary per test.
import type { RunInfo } from "../../../bench/measurement";

export function runInfo(sizes: number[], labels: Record<string, string> = {}): RunInfo {
  return {
    date: "2026-01-01 00:00 UTC",
    cpus: 2,
    cpuModel: "test CPU",
    accel: "TCG",
    kernel: "7.2.13-netkit",
    pulumi: "v3.259.0",
    node: "v22.0.0",
    sizes,
    labels,
    baselineA: "command",
    loadStart: [0.1, 0.1, 0.1],
    loadEnd: [0.2, 0.2, 0.2],
    command: "npm run bench",
    failures: [],
    calibration: [],
  };
}
