// The size of a stack's checkpoint and of each resource in it. The engine writes the whole
// checkpoint after every step (and the file backend copies the previous one aside first), so
// an operation on N resources writes about N × (N × bytes per resource): what a resource
// stores costs in proportion to the stack's size, on every step.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface StateSize {
  /** Bytes of the checkpoint file. */
  file: number;
  /** Resources in it, of every type. */
  resources: number;
  /** The type measured (the workload's resources). */
  type: string;
  /** Mean bytes of one resource of that type, as the file holds it (compact JSON). */
  perResource: number;
  /** One resource of that type, by part: bytes each. */
  parts: Array<[part: string, bytes: number]>;
}

interface Resource {
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** The checkpoint of the one stack in a file backend's directory (`PULUMI_BACKEND_URL=file://DIR`). */
export function checkpointFile(stateDir: string): string | undefined {
  const stacks = join(stateDir, ".pulumi", "stacks");
  const walk = (d: string): string[] =>
    existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : /\.json$/.test(n) ? [join(d, n)] : [])) : [];
  return walk(stacks)[0];
}

const len = (v: unknown) => (v === undefined ? 0 : JSON.stringify(v).length);

/** What the checkpoint holds per resource of `type` (a suffix of the type token, e.g. ":NetkitPair"). */
export function stateSize(file: string, type: string): StateSize | undefined {
  const text = readFileSync(file, "utf8");
  const cp = JSON.parse(text) as { checkpoint?: { latest?: { resources?: Resource[] } } };
  const all = cp.checkpoint?.latest?.resources ?? [];
  const mine = all.filter((r) => r.type.endsWith(type));
  if (!mine.length) return undefined;
  const one = mine[0]!;
  const parts: Array<[string, number]> = [];
  for (const side of ["inputs", "outputs"] as const) {
    const bag = one[side] ?? {};
    // The dynamic provider's serialized implementation, the (secret) connection, and the rest.
    parts.push([`${side}: __provider`, len(bag.__provider)]);
    parts.push([`${side}: connection`, len(bag.connection)]);
    const rest = Object.fromEntries(Object.entries(bag).filter(([k]) => k !== "__provider" && k !== "connection"));
    parts.push([`${side}: other fields (${Object.keys(rest).length})`, len(rest)]);
  }
  const whole = len(one);
  parts.push(["urn, type, provider reference, dependencies, …", whole - parts.reduce((a, [, b]) => a + b, 0)]);
  return {
    file: Buffer.byteLength(text),
    resources: all.length,
    type: one.type,
    perResource: Math.round(mine.reduce((a, r) => a + len(r), 0) / mine.length),
    parts: parts.filter(([, b]) => b > 0),
  };
}
