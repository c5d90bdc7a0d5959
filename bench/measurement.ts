// What the benchmark measures: one row per workload, size and phase, and how the run was made.
import type { Phase } from "./workloads/workload";
import type { PhaseProfile } from "./profile";
import type { StateSize } from "./state-size";

export interface Measurement {
  n: number;
  workload: string;
  phase: Phase;
  ms: number;
  /** CPU seconds of this process and its reaped children (the engine, the provider plugins). */
  localCpu: number;
  /** CPU seconds of the test host's qemu: all the host's work, emulated. */
  guestCpu: number;
  handshakes: number;
  commands: number;
  /** 1-minute load average of the machine when the phase started. */
  load: number;
  /** Largest resident set of a provider process during the phase, MB (0: none seen). */
  rssMb?: number;
  /** After `up`: the checkpoint's size and what one resource holds in it. */
  state?: StateSize;
  /** With --profile: where the phase's CPU went (and, for a refresh, the provider's heap). */
  profile?: PhaseProfile;
}

export interface RunInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  accel: string;
  kernel: string;
  pulumi: string;
  node: string;
  sizes: number[];
  labels: Record<string, string>;
  /** Key of the workload that stands for baseline (a): "command-plugin" or "command". */
  baselineA: string;
  loadStart: number[];
  loadEnd: number[];
  command: string;
  /** Workloads that failed, with the error: their rows are missing. */
  failures: string[];
  /** What single steps cost on the host, measured before the workloads. */
  calibration: Array<{ key: string; step: string; ms: number }>;
  /** What the reader must know about how this run was put together (e.g. a size measured in a second invocation). */
  notes?: string[];
  /** The plot's file name beside the report. */
  plot?: string;
  /** The multi-host run: so many hosts with so many pairs each (workloads "multihost-1", "multihost" and "multihost-stacks"). */
  multiHost?: { hosts: number; perHost: number };
}
