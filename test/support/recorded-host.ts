// Kernels on tape, for the controller tier: the relay's wire traffic of a scenario run
// against a real kernel (the kernel tier, NETKIT_RECORD=1) is kept per scenario, and replayed
// to the same controllers in-process, so a logic error in a controller surfaces in seconds
// without a VM. A replay answers each batch the controllers send with the recorded results of
// the identical batch; a batch the recording lacks fails the test, naming it (the request
// logic changed: record again on the kernel). The kernel and lifecycle tiers stay the proof.
import { isDeepStrictEqual } from "node:util";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { HostClient } from "../../provider/host/client";
import { decoding, type WireBatch, type WireResult, type WireTransport } from "../../provider/host/relay";
import { repoRoot } from "../../harness/pulumi";

export interface Exchange {
  batch: WireBatch;
  results: WireResult[];
}

export interface Recording {
  scenario: string;
  /** `uname -r` of the recorded kernel. */
  kernel: string;
  /** How the provider named the host ("root@127.0.0.1:PORT") and its port (resource ids hold it). */
  host: string;
  port: number;
  exchanges: Exchange[];
  /** What the scenario observed live: a replay must observe exactly this. */
  observed: unknown;
}

export const RECORDINGS = join(repoRoot, "test", "fixtures", "recordings");
export const recordingPath = (scenario: string) => join(RECORDINGS, `${scenario}.json`);

export function readRecording(scenario: string): Recording {
  return JSON.parse(readFileSync(recordingPath(scenario), "utf8")) as Recording;
}

export function writeRecording(r: Recording): void {
  mkdirSync(RECORDINGS, { recursive: true });
  writeFileSync(recordingPath(r.scenario), JSON.stringify(r, null, 1) + "\n");
}

/** Passes batches to `wire` and keeps each with its results. */
export function recording(wire: WireTransport, into: Exchange[]): WireTransport {
  return async (batches, run) => {
    const results = await wire(batches, run);
    batches.forEach((batch, i) => into.push({ batch, results: results[i] ?? [] }));
    return results;
  };
}

/** What a batch asks for, for a message: each op's name and target. */
function describeBatch(b: WireBatch): string {
  return b.ops
    .map((o) => {
      const op = o as Record<string, unknown>;
      if (typeof op.message === "string") {
        const type = Buffer.from(op.message, "base64").readUInt16LE(4);
        return `${String(op.op)} type ${type}${typeof op.netns === "string" ? ` in ${op.netns}` : ""}${typeof op.dir === "string" ? ` in each netns of ${op.dir}` : ""}`;
      }
      return `${String(op.op)}${typeof op.path === "string" ? ` ${op.path}` : ""}`;
    })
    .join("; ");
}

/**
 * A host client that answers from a recording, in any order among batches not yet answered
 * (the engine-free scenarios are sequential, but gathered runs may order batches differently).
 */
export function replayHost(r: Recording): { client: HostClient; unanswered: () => Exchange[] } {
  const left = [...r.exchanges];
  const wire: WireTransport = async (batches) =>
    batches.map((batch) => {
      // Batch ids are random per run: a batch is the same request whatever its id.
      const i = left.findIndex((x) => isDeepStrictEqual({ ...x.batch, id: "" }, { ...batch, id: "" }));
      if (i < 0)
        throw new Error(
          `replay of ${r.scenario}: the controllers sent a batch the recording lacks (${describeBatch(batch)}); ` +
            "the request logic changed: record the scenario again on the kernel (NETKIT_RECORD=1 npm test -- kernel)",
        );
      return left.splice(i, 1)[0]!.results;
    });
  return { client: new HostClient(r.host, decoding(wire), { debug() {}, info() {}, warn() {} }), unanswered: () => left };
}
