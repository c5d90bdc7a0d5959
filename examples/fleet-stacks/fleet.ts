// The fleet file and its stacks: one stack per host, or per node pool, so that no stack grows
// with the fleet. The engine writes a stack's whole checkpoint after every step, so
// one stack of H hosts × P pods costs each step a rewrite of H × P resources; H stacks of P
// each rewrite only P, run side by side, and fail, lock and recover independently (a host that
// is down fails its own stack, not the fleet's).

/** A managed host, as the fleet file lists it. */
export interface FleetHost {
  /** Names its stack (with `pool` unset): letters, digits, `-`, `_`, `.`. */
  name: string;
  host: string;
  port?: number;
  user?: string;
  /** The host's key, as a known_hosts line or a SHA256 fingerprint (verify it out of band). */
  hostKey: string;
  /** Hosts of one pool share a stack (a node pool that is rolled out together). */
  pool?: string;
}

/** The hosts one stack manages. */
export interface StackGroup {
  stack: string;
  hosts: FleetHost[];
}

/** The fleet file (fleet.json): the hosts, and what every host carries. */
export interface Fleet {
  hosts: FleetHost[];
  /** Pod pairs per host. */
  pods: number;
  /** The netns the pods' peers go into, on every host. */
  netns: string;
  /** Device names are PREFIX<i> and PREFIX<i>p (default "pod"). */
  prefix?: string;
  /** The SSH private key the hosts accept (a path; `~/` is your home). */
  privateKeyFile: string;
}

const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

/** The fleet file's text, checked: an error names the field that is wrong. */
export function parseFleet(text: string, file: string): Fleet {
  const f = JSON.parse(text) as Partial<Fleet>;
  const bad = (field: string, what: string) => new Error(`${file}: ${field} ${what}`);
  if (!Array.isArray(f.hosts) || f.hosts.length === 0) throw bad("hosts", "must list at least one host");
  f.hosts.forEach((h, i) => {
    for (const k of ["name", "host", "hostKey"] as const) if (typeof h?.[k] !== "string" || h[k] === "") throw bad(`hosts[${i}].${k}`, "must be a non-empty string");
  });
  if (!Number.isInteger(f.pods) || f.pods! < 1) throw bad("pods", "must be a positive integer");
  if (typeof f.netns !== "string" || f.netns === "") throw bad("netns", "must name the pods' network namespace");
  if (typeof f.privateKeyFile !== "string" || f.privateKeyFile === "") throw bad("privateKeyFile", "must be the path of the SSH key the hosts accept");
  return f as Fleet;
}

/** One stack per pool for the hosts that name one, one per host for the others, in the fleet file's order. */
export function stackGroups(hosts: FleetHost[]): StackGroup[] {
  const groups = new Map<string, FleetHost[]>();
  for (const h of hosts) {
    const stack = h.pool ?? h.name;
    if (!STACK_NAME.test(stack)) throw new Error(`${h.pool ? `pool ${h.pool}` : `host ${h.name}`}: a stack name takes letters, digits, "-", "_" and "." only`);
    groups.set(stack, [...(groups.get(stack) ?? []), h]);
  }
  const names = new Set<string>();
  for (const h of hosts) {
    if (names.has(h.name)) throw new Error(`host ${h.name} is listed twice`);
    names.add(h.name);
  }
  return [...groups].map(([stack, hs]) => ({ stack, hosts: hs }));
}

export type StackOutcome<T> = { stack: string; ok: true; value: T } | { stack: string; ok: false; error: Error };

/**
 * Runs `op` for every group, at most `limit` at once (each runs its own engine and provider
 * processes); every group runs even when another fails. Outcomes in the groups' order.
 */
export async function eachStack<T>(groups: StackGroup[], limit: number, op: (g: StackGroup) => Promise<T>): Promise<Array<StackOutcome<T>>> {
  const out: Array<StackOutcome<T>> = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < groups.length; i = next++) {
      const g = groups[i]!;
      try {
        out[i] = { stack: g.stack, ok: true, value: await op(g) };
      } catch (e) {
        out[i] = { stack: g.stack, ok: false, error: e instanceof Error ? e : new Error(String(e)) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, groups.length)) }, worker));
  return out;
}
