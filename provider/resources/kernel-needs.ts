// The kernel features a resource's inputs need, checked against the host's facts before
// anything changes there (the features: provider/features.ts; the facts: host/preflight.ts).
import { isDeepStrictEqual } from "node:util";
import { ProviderBugError, type CapabilityError } from "../errors";
import type { HostClient } from "../host/client";
import { isNicFeature, missingFeature, requiredFeatures, type KernelFeature } from "../features";
import type { HostFacts } from "../host/preflight";
import { fieldMeta } from "../definition/field";
import type { ResourceDefinition } from "../definition/resource";

/**
 * The first kernel feature `inputs` need that the host lacks, as the error to raise: netkit
 * itself, the resource's own needs, then each field set to a value that needs a feature (see
 * FieldMeta.needs). Fields left unset, or at what a kernel without the feature does anyway,
 * need nothing.
 */
export function missingFeatureFor(spec: ResourceDefinition, inputs: Record<string, unknown>, f: HostFacts): CapabilityError | undefined {
  const fields = Object.entries(spec.inputs.shape).map(([key, schema]) => ({ key, need: fieldMeta.get(schema)?.needs }));
  if (!f.nicProbed && [...resourceNeeds(spec), ...fields.map((x) => x.need?.feature)].some((x) => x && isNicFeature(x)))
    throw new ProviderBugError(`${spec.name} needs NIC features, but the facts checked are the host's without the NIC side (use factsFor)`);
  for (const feature of resourceNeeds(spec)) if (!f.has[feature]) return missingFeature(f.host, f.kernelRelease, feature, spec.name);
  for (const { key, need } of fields) {
    const v = inputs[key];
    if (!need || v === undefined || isDeepStrictEqual(v, need.except) || f.has[need.feature]) continue;
    const leave = need.except === undefined ? `leave ${key} unset on this host` : `leave ${key} unset (or ${JSON.stringify(need.except)}) on this host`;
    return missingFeature(f.host, f.kernelRelease, need.feature, `${key} ${JSON.stringify(v)}`, leave);
  }
  return undefined;
}

/** What every instance of a resource needs: netkit, unless it is a NIC resource, and its own needs. */
export function resourceNeeds(spec: ResourceDefinition): KernelFeature[] {
  return requiredFeatures(spec.needs);
}

/** The host's facts as `spec` needs them checked: with the NIC side probed for a resource (or field) that needs it. */
export function factsFor(host: HostClient, spec: ResourceDefinition): Promise<HostFacts> {
  const needs = [...(spec.needs ?? []), ...Object.values(spec.inputs.shape).map((s) => fieldMeta.get(s as never)?.needs?.feature)];
  return needs.some((x) => x && isNicFeature(x)) ? host.nicFacts() : host.facts();
}

/** Fails with what is missing and which kernel runs, before anything is changed on the host. */
export async function requireFeatures(host: HostClient, spec: ResourceDefinition, inputs: object): Promise<HostFacts> {
  const f = await factsFor(host, spec);
  const missing = missingFeatureFor(spec, inputs as Record<string, unknown>, f);
  if (missing) throw missing;
  return f;
}
