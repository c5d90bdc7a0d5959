// Host checks at preview: after the inputs passed their own rules, check asks the host
// (read-only, each question once per run, see host/look-around.ts) what only it knows, so
// that a preview fails where up would: a kernel without the feature a field needs, a name
// taken by another device, a netns or NIC that does not exist, a NIC queue out of range.
// Only what a change would create is asked about: a resource whose names stay as the state
// has them owns those names. A host that cannot be reached within the budget, or that
// refuses the connection, is a warning: the preview goes on, saying it could not check.
// `netkit:previewChecks false` turns all of this off (air-gapped previews).
import { RelayBatch } from "../host/batch";
import { objGet } from "../bpf/syscall";
import { programHint, type DeclaredProgram } from "../host/programs";
import { isDeepStrictEqual } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import { CapabilityError } from "../errors";
import { containsUnknown } from "../definition/check";
import { fieldMeta } from "../definition/field";
import type { ResourceDefinition } from "../definition/resource";
import type { HostClient } from "../host/client";
import { locate, locationKey, type Located } from "../host/locate";
import { consumers, inUseBy } from "../host/nic";
import { liveOwner } from "../host/lease-owners";
import type { HostFacts } from "../host/preflight";
import { describeLink, type NetkitLink } from "../host/netkit";
import type { NicQuestion } from "../host/look-around";
import type { ConnectionInput } from "../connection";
import { providerSettings } from "../runtime";
import { endpointFor } from "./ids";
import { factsFor, missingFeatureFor } from "./kernel-needs";
import { hostFor, providerLog } from "./hosts";
import { netnsPath, type DeclaredLease } from "./fields";
import { leasedTo } from "./leases/rules";
import { heldElsewhere, isOwnLease, sameStack, type Lessee } from "./leases/claims";
import type { QueueLease } from "../netlink/netdev";

type Failure = pulumi.dynamic.CheckFailure;

/** How long a check may wait for a host before the preview goes on without it. */
export const HOST_CHECK_BUDGET_MS = 15_000;

/** A resource's questions, given the host, its facts and the old inputs (undefined: a new resource). */
export type HostCheckPlan<I> = (ctx: { host: HostClient; facts: HostFacts; inputs: I; olds: Partial<I> | undefined }) => Promise<Failure[]>;

/** Hosts found unreachable in this run: said once, then not asked again. */
const unreachable = new Map<string, string>();

/** The field whose value needs the missing feature; "" for the resource itself. */
function capabilityField(spec: ResourceDefinition, inputs: Record<string, unknown>, feature: string | undefined): string {
  for (const [key, schema] of Object.entries(spec.inputs.shape)) {
    const need = fieldMeta.get(schema)?.needs;
    if (need && need.feature === feature && inputs[key] !== undefined && !isDeepStrictEqual(inputs[key], need.except)) return key;
  }
  return "";
}

/** Whether the old inputs are of the same resource on the same host (a change, not a new one). */
function sameHost(inputs: { connection?: ConnectionInput }, olds: { connection?: ConnectionInput } | undefined): boolean {
  return !!olds && Object.keys(olds).length > 0 && endpointFor(olds.connection) === endpointFor(inputs.connection);
}

export async function hostChecks<I extends { connection?: ConnectionInput }>(
  spec: ResourceDefinition,
  inputs: I,
  olds: Partial<I> | undefined,
  plan?: HostCheckPlan<I>,
): Promise<Failure[]> {
  if (!providerSettings().previewChecks || containsUnknown(inputs.connection)) return [];
  const endpoint = endpointFor(inputs.connection);
  if (!endpoint || unreachable.has(endpoint)) return [];
  // Values unknown until apply are checked when they are known.
  const known = Object.fromEntries(Object.entries(inputs).filter(([, v]) => !containsUnknown(v))) as I;
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HOST_CHECK_BUDGET_MS / 1000} s`)), HOST_CHECK_BUDGET_MS);
    timer.unref();
  });
  const work = (async (): Promise<Failure[]> => {
    const host = await hostFor(inputs.connection);
    const facts = await factsFor(host, spec);
    const missing = missingFeatureFor(spec, known, facts);
    if (missing) return [{ property: capabilityField(spec, known, missing instanceof CapabilityError ? missing.feature : undefined), reason: missing.message }];
    return plan ? plan({ host, facts, inputs: known, olds: sameHost(inputs, olds) ? olds : undefined }) : [];
  })();
  try {
    return await Promise.race([work, budget]);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (!unreachable.has(endpoint)) {
      unreachable.set(endpoint, why);
      providerLog.warn(
        `could not check ${endpoint} before changing it (${why}): this preview shows what the program declares, not what that host would accept. ` +
          "Set netkit:previewChecks false to skip these checks",
      );
    }
    return [];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Names the stack's own resources hold on each host, seen in this run. When the engine
 * replaces a resource it checks the new inputs a second time without the old ones (so that a
 * provider may pick new defaults); the first check, with them, has recorded the names here,
 * so that the resource's own device is not mistaken for another's.
 */
const heldNames = new Set<string>();
const heldKey = (host: HostClient, name: string, netns: string | undefined) => `${host.host} ${netns ?? ""} ${name}`;

/** Records the names a resource's old inputs hold on the host: `[name, netns]` pairs. */
export function holdNames(host: HostClient, names: Array<[string | undefined, string | undefined]>): void {
  for (const [name, netns] of names) if (name !== undefined) heldNames.add(heldKey(host, name, netns));
}

/** Whether a field's value differs from the old inputs' (or the resource is new). */
export function isNew<I>(olds: Partial<I> | undefined, inputs: I, ...keys: Array<keyof I>): boolean {
  return !olds || keys.some((k) => !isDeepStrictEqual(olds[k], inputs[k]));
}

/**
 * A device the change creates, `name` (field `nameField`) in `netns` (field `netnsField`):
 * the netns must exist and the name be free there. `renaming`: an existing device of the
 * resource takes that name or goes into that netns in place, so the name must be free even
 * if another resource of the stack holds it (only a replacement frees its own names).
 * `sameKind`: whether a device holding the name could be this resource's own. The engine
 * checks a forced replacement (`pulumi up --replace`, a tainted resource) without the old
 * inputs, once, so its own device looks like another's: such a device is a warning (a
 * delete-before-replace removes it first; if it is another's, create fails with EEXIST), any
 * other kind of device a failure. Never for a rename: the device renamed is not at the target.
 */
export async function nameIsFree(
  host: HostClient,
  name: string,
  nameField: string,
  netns?: { ref: string; field: string },
  opts: { renaming?: boolean; sameKind?: (l: NetkitLink) => boolean } = {},
): Promise<Failure[]> {
  if (!opts.renaming && heldNames.has(heldKey(host, name, netns?.ref))) return [];
  const [a] = await host.ask([{ link: name, ...(netns ? { netns: netnsPath(netns.ref) } : {}) }]);
  const where = netns ? ` in netns ${netns.ref}` : "";
  if (a!.netns === "missing") return [{ property: netns!.field, reason: `${host.host}: netns ${netns!.ref} does not exist: create it first (ip netns add ${netns!.ref})` }];
  if (a!.netns === "invalid") return [{ property: netns!.field, reason: `${host.host}: ${netns!.ref} cannot be used as a network namespace: ${a!.why}` }];
  if (a!.link && !opts.renaming && opts.sameKind?.(a!.link)) {
    providerLog.warn(
      `${host.host}: ${name} is taken${where} by ${describeLink(a!.link)}: fine if it is this resource's own device being replaced ` +
        "(pulumi up --replace, or a tainted resource: the engine checks those without the old inputs), which deleteBeforeReplace removes first; " +
        "if it is another's, up fails with EEXIST",
    );
    return [];
  }
  if (a!.link)
    return [
      {
        property: nameField,
        reason: `${host.host}: ${name} is taken${where} by ${describeLink(a!.link)} that this stack did not create: pick another name, or remove that device (or import it)`,
      },
    ];
  return [];
}

/**
 * A NIC lending RX queues: it must exist in the host's netns, be physical, and have each queue,
 * free. A queue leased to another device is refused naming that device and its netns, as the
 * lease rules at apply do, unless the lease is the lessee's own (leases/claims.ts isOwnLease);
 * one that an AF_XDP socket or a memory provider uses, naming that consumer. A lessee with a
 * URN (a binding, which up would let adopt the lease) is refused a lease the host records as
 * another stack's resource's too.
 */
export async function nicHasQueues(host: HostClient, nic: string, queues: Array<{ queue: number; field: string }>, nicField: string, lessee?: Lessee): Promise<Failure[]> {
  const [a] = await host.ask<NicQuestion>([{ nic }]);
  if (!a!.link) return [{ property: nicField, reason: `${host.host}: NIC ${nic} does not exist in the host's network namespace` }];
  if (a!.link.kind === "netkit" || !a!.link.parentDevice)
    return [{ property: nicField, reason: `${host.host}: ${nic} is a virtual device${a!.link.kind ? ` (${a!.link.kind})` : ""}: only a physical NIC can lend RX queues` }];
  // A NIC that is down lists no queues: its range is left to the kernel.
  const count = a!.rxQueues?.length;
  if (!count) return [];
  const nicIfindex = a!.link.ifindex;
  const out = queues
    .filter((q) => q.queue >= count)
    .map((q) => ({ property: q.field, reason: `${host.host}: ${nic} has ${count} RX queues (0 … ${count - 1}): queue ${q.queue} is out of range` }));
  const busy = queues.flatMap((q) => {
    const info = a!.rxQueues!.find((x) => x.id === q.queue);
    return info && consumers(info).length ? [{ ...q, info }] : [];
  });
  if (!busy.length) return out;
  // Each lease's holder by name, and the host's record of it: the records name leases by URN,
  // so they are read only for a lessee that has one, once per queue.
  const leased = busy.filter((b) => b.info.lease);
  const holderAt = (l: QueueLease) => ({ ifindex: l.ifindex, ...(l.netnsId !== undefined ? { nsid: l.netnsId } : {}) });
  const holders = leased.map((b) => holderAt(b.info.lease!));
  const [found, records] = await Promise.all([
    holders.length ? locate(host, holders) : new Map<string, Located>(),
    Promise.all(leased.map((b) => (lessee?.urn !== undefined ? liveOwner(host, nicIfindex, b.queue, b.info.lease!) : Promise.resolve(undefined)))),
  ]);
  const recordOf = new Map(leased.map((b, i) => [b, records[i]]));
  const elsewhere: Failure[] = [];
  for (const b of busy) {
    const l = b.info.lease;
    if (l) {
      const at = found.get(locationKey(holderAt(l)));
      const name = at?.link?.name;
      const recorded = recordOf.get(b);
      // Up would not adopt a lease another stack's resource holds, whatever device holds it.
      if (recorded && lessee?.urn !== undefined && !sameStack(recorded.urn, lessee.urn))
        elsewhere.push({ property: b.field, reason: `${host.host}: ${nic} RX queue ${b.queue} is leased already: ${heldElsewhere(recorded, nicIfindex, b.queue)}` });
      // A holder that cannot be named is gone or going (the same update's delete before a
      // replacement): the lease rules at apply decide on what the kernel holds then.
      if (name === undefined || isOwnLease(lessee, { queue: b.queue, holder: { name, netns: at?.path ?? "" }, recorded })) continue;
      const used = inUseBy(b.info);
      out.push({
        property: b.field,
        reason:
          `${host.host}: ${nic} RX queue ${b.queue} is already ${leasedTo(l, { name, netnsName: at?.netnsName })}` +
          `${used ? `, and ${used} there` : ""}: the kernel leases a queue once; lease another queue, or end that lease (it ends with its device)`,
      });
    } else
      out.push({
        property: b.field,
        reason: `${host.host}: ${nic} RX queue ${b.queue} is ${inUseBy(b.info)!}: the kernel refuses to lease a queue in use; stop that consumer, or lease another queue`,
      });
  }
  return [...out, ...elsewhere];
}

/** The queues of the NIC of `leases` that `before` (a device's old declared leases) leased. */
export function heldBefore(before: DeclaredLease[] | undefined, leases: DeclaredLease[] | undefined): number[] {
  const nic = leases?.[0]?.nic;
  return (before ?? []).filter((l) => l.nic === nic).map((l) => l.queue);
}

/** A device's declared leases (field `field`): their NIC and its queues, free unless the device's own. */
export function leasesFit(host: HostClient, leases: DeclaredLease[] | undefined, field: string, lessee?: Lessee): Promise<Failure[]> {
  if (!leases?.length) return Promise.resolve([]);
  return nicHasQueues(
    host,
    leases[0]!.nic,
    leases.map((l, i) => ({ queue: l.queue, field: `${field}[${i}].queue` })),
    `${field}[0].nic`,
    lessee,
  );
}

/** Programs a hook declares (field `field`): each pin, and each anchor's, must hold something, as up opens them. */
export async function programsArePinned(host: HostClient, programs: DeclaredProgram[] | undefined, field: string): Promise<Failure[]> {
  if (!programs?.length) return [];
  const b = new RelayBatch({ readOnly: true });
  const pins = programs.flatMap((p, i) => {
    const out: Array<{ path: string; pin: string; what: string }> = [{ path: `${field}[${i}].pin`, pin: p.pin, what: "the program" }];
    for (const dir of ["before", "after"] as const)
      for (const kind of ["program", "link"] as const) {
        const pin = p[dir]?.[kind];
        if (pin !== undefined) out.push({ path: `${field}[${i}].${dir}.${kind}`, pin, what: `the ${kind} to place it ${dir}` });
      }
    return out;
  });
  const at = pins.map((p, i) => b.add(`open ${p.pin}`, objGet(p.pin, `p${i}`)));
  const res = await host.run(b, false);
  return pins.flatMap((p, i) => {
    const name = res.errnoName(at[i]!);
    if (res.errno(at[i]!) === 0) return [];
    const why =
      name === "ENOENT"
        ? `nothing is pinned at ${p.pin}: ${p.what === "the program" ? "load the program and pin it first" : `${p.what} must be attached and pinned first`}`
        : `${p.pin} cannot be opened: ${name}${programHint(name, undefined) ? ` (${programHint(name, undefined)})` : ""}`;
    return [{ property: p.path, reason: `${host.host}: ${why}` }];
  });
}
