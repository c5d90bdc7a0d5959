// What every benchmarked workload offers the runner: the same three operations on N
// resources, each run once and timed from outside, with the host checked in between.
import type { BenchHost } from "../host";

export type Phase = "up" | "preview" | "refresh" | "refresh+check" | "destroy";

export interface Workload {
  /** Short key for --workloads and the report. */
  key: string;
  /** How the report names it. */
  label: string;
  /** Device name prefix: nothing else on the host starts with it. Absent: makes no devices. */
  prefix?: string;
  /** The end of its resources' type token (":NetkitPair"), for the checkpoint's size per resource; absent: no Pulumi state. */
  resourceType?: string;
  start(host: BenchHost, n: number): Promise<Instance>;
}

export interface Instance {
  /** The phases in order, each a complete operation (verified by the instance itself). */
  phases: Array<{ phase: Phase; run: () => Promise<void> }>;
  /** The file backend's directory of its stack (engine workloads). */
  stateDir?: string;
  /** Removes local leftovers (work dirs); runs whatever happened. */
  dispose(): Promise<void>;
}

/** Names of the i-th pair of a workload: 15 bytes at most for any N the bench uses. */
export function pairNames(prefix: string, i: number): { name: string; peerName: string } {
  return { name: `${prefix}${i}`, peerName: `${prefix}${i}p` };
}
