// A batch of labelled relay ops: one SSH round trip. The kernel release is read first in
// every batch so that errors can name it; each op keeps a label that says, in an error,
// which step failed ("create the lease of eth1 queue 3 on nk0 (netns pod1)").
import { randomUUID } from "node:crypto";
import { errnoName, type RelayOp, type RelayRequest, type RelayResult } from "./relay";

/** Where a batch runs: a host's relay queue (HostClient). */
export interface RelayTarget {
  request(req: RelayRequest): Promise<RelayResult[]>;
}

/** A host that runs batches, as operations need it (HostClient); `host` names it in messages. */
export interface BatchHost {
  readonly host: string;
  run(b: RelayBatch, stopOnError?: boolean): Promise<BatchResults>;
}

/** One op of a plan, with the label that names it in an error ("create netkit nk0"). */
export interface Step {
  label: string;
  op: RelayOp;
}

/** Whether an op failed: an OS error, a relay exception, a netlink errno or a reply not as expected, or time ran out. */
export function failed(r: RelayResult | undefined): boolean {
  return (
    r?.kind === "oserror" ||
    r?.kind === "exception" ||
    (r?.kind === "netlink" && (r.status.errno !== 0 || r.mismatch !== undefined)) ||
    ((r?.kind === "bpf" || r?.kind === "ioctl") && r.errno !== 0) ||
    (r?.kind === "skipped" && r.reason !== undefined)
  );
}

export class RelayBatch {
  /** Names the batch in the host's journal: after a dropped connection, what it did can be read back. */
  readonly id = randomUUID();
  readonly ops: RelayOp[] = [{ op: "read", path: "/proc/sys/kernel/osrelease" }];
  readonly labels: string[] = ["read kernel release"];

  /** readOnly: the batch only reads (see RelayRequest.readOnly); by default it may change the host. */
  constructor(private readonly opts: { readOnly?: boolean } = {}) {}

  /** Adds an op; the returned index finds its result. */
  add(label: string, op: RelayOp): number {
    this.ops.push(op);
    this.labels.push(label);
    return this.ops.length - 1;
  }

  /** Adds a plan's steps in order; the returned function finds a step's result index by its index in the plan. */
  addSteps(steps: readonly Step[]): (step: number) => number {
    const at = steps.map((s) => this.add(s.label, s.op));
    return (step) => (step < 0 ? -1 : at[step]!);
  }

  async run(target: RelayTarget, stopOnError = true): Promise<BatchResults> {
    const results = await target.request({ id: this.id, ops: this.ops, stopOnError, readOnly: this.opts.readOnly ?? false });
    const first = results[0];
    return new BatchResults(this.labels, results, first?.kind === "data" ? first.data.toString().trim() : "unknown");
  }
}

export class BatchResults {
  constructor(
    readonly labels: readonly string[],
    readonly results: readonly RelayResult[],
    readonly release: string,
  ) {}

  at(i: number): RelayResult | undefined {
    return i < 0 ? undefined : this.results[i];
  }

  /** The errno of a failed op (netlink or OS), 0 for success, undefined if it did not run. */
  errno(i: number): number | undefined {
    const r = this.at(i);
    if (r?.kind === "netlink") return r.status.errno;
    if (r?.kind === "oserror" || r?.kind === "bpf" || r?.kind === "ioctl") return r.errno;
    if (r?.kind === "ok" || r?.kind === "data" || r?.kind === "names" || r?.kind === "each") return 0;
    return undefined;
  }

  /** The index of the first op that failed, or -1. */
  firstFailed(): number {
    return this.results.findIndex(failed);
  }

  /** "EBUSY" for errno 16, and so on. */
  errnoName(i: number): string {
    return errnoName(this.errno(i) ?? 0);
  }
}
