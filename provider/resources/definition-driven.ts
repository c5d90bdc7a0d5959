// The parts of every controller that the spec alone decides: credentials from stack config,
// check and diff. Controllers spread this and add create/read/update/delete.
import type * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, fromStackConfig, NO_CONNECTION, settingsFrom } from "../config";
import { connectionDefaults, setConnectionDefaults, setProviderSettings } from "../runtime";
import { checkInputs, type CheckResult } from "../definition/check";
import { diffState, type StateDiff } from "../definition/diff";
import { containsUnknown, UNKNOWN } from "../definition/check";
import { fieldMeta, fieldsOf } from "../definition/field";
import type { ConnectionInput } from "../connection";
import { endpointFor, endpointOfId } from "./ids";
import { requireSameHost } from "./host-identity";
import { withDeclared } from "./declared";
import { inputKeys, type InputsOf, type OutputsOf, type ResourceDefinition } from "../definition/resource";
import { hostChecks, type HostCheckPlan } from "./host-checks";
import { claimedTwice, claimQueues, urnOf, type QueueClaim } from "./leases/claims";

/**
 * A resource's controller: the dynamic provider interface, plus what a provider that supports
 * preview (the plugin) answers when the engine previews an update: the outputs the update
 * will report, computed without a host (`previewUpdate`).
 */
export type Controller<I, O> = pulumi.dynamic.ResourceProvider<I, O> & {
  previewUpdate?: (id: string, olds: O, news: I) => O;
};

/**
 * What an update in place will report, as a preview can promise it: the new inputs; fields
 * left to the kernel (kernelDefault) that the program does not set, as the state has them
 * (an update does not touch them); every other output as recorded, except `unknown`: outputs
 * the update may change (an ifindex across a netns move), sent as the engine's unknown value.
 */
export function plannedOutputs<S extends ResourceDefinition>(spec: S, olds: OutputsOf<S>, news: InputsOf<S>, unknown: string[] = []): OutputsOf<S> {
  const o = olds as Record<string, unknown>;
  const n = news as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, schema] of fieldsOf(spec.inputs)) {
    const v = n[k] !== undefined ? n[k] : fieldMeta.get(schema)?.kernelDefault ? o[k] : undefined;
    if (v !== undefined) out[k] = v;
  }
  for (const k of Object.keys(spec.outputs.shape)) {
    const v = unknown.includes(k) ? UNKNOWN : o[k];
    if (v !== undefined) out[k] = v;
  }
  return withDeclared(inputKeys(spec), news, out) as OutputsOf<S>;
}

/**
 * The NIC queues a resource declares (leases/claims.ts: one lease has one owner); values not
 * known yet are left out.
 */
export type ClaimsOf<I> = (inputs: I) => QueueClaim[];

/** A resource's claims for this run, as check failures where another resource of the stack claims the same queue. */
function claimFailures<I extends { connection?: ConnectionInput }>(news: I, claimsOf: ClaimsOf<I> | undefined): Array<{ property: string; reason: string }> {
  const urn = urnOf(news);
  if (!claimsOf || !urn || containsUnknown(news.connection)) return [];
  const endpoint = endpointFor(news.connection);
  if (!endpoint) return [];
  const known = claimsOf(news).filter((c) => !containsUnknown(c.nic) && !containsUnknown(c.queue));
  return claimQueues(endpoint, urn, known).map(({ claim, other }) => ({ property: claim.field, reason: claimedTwice(claim.nic, claim.queue, other) }));
}

/** `previewPlan`: what check asks the host about the change (host-checks.ts); `claimsOf`: the NIC queues it leases. */
export function definitionDriven<S extends ResourceDefinition>(spec: S, previewPlan?: HostCheckPlan<InputsOf<S>>, claimsOf?: ClaimsOf<InputsOf<S>>) {
  return {
    /** Outputs unknown until the update ran: none beyond what plannedOutputs keeps (a resource says which). */
    previewUpdate: (_id: string, olds: OutputsOf<S>, news: InputsOf<S>): OutputsOf<S> => plannedOutputs(spec, olds, news),
    configure: async (req: { config: { get(key: string): string | undefined } }) => {
      setConnectionDefaults(fromStackConfig(req.config));
      setProviderSettings(settingsFrom((k) => req.config.get(`${CONFIG_NAMESPACE}:${k}`)));
    },
    check: async (olds: unknown, news: unknown): Promise<CheckResult<InputsOf<S>>> => {
      const r = checkInputs(spec, news as Record<string, unknown>);
      // Without its own connection a resource needs a configured one, known before any host is contacted.
      if (!r.failures.length && (r.inputs as { connection?: unknown }).connection === undefined && connectionDefaults().host === undefined)
        r.failures.push({ property: "connection", reason: NO_CONNECTION });
      // One lease has one owner: no host needed to know what else the stack declares.
      if (!r.failures.length) r.failures.push(...claimFailures(r.inputs as InputsOf<S> & { connection?: ConnectionInput }, claimsOf));
      // Only inputs valid on their own are worth a host's time.
      if (!r.failures.length)
        r.failures.push(...(await hostChecks(spec, r.inputs as InputsOf<S> & { connection?: ConnectionInput }, olds as Partial<InputsOf<S>> | undefined, previewPlan)));
      return r;
    },
    /**
     * The definition's diff, and the host: a device lives on the endpoint its id names, so an
     * own connection that now reaches another host replaces it, and a configured one that does
     * refuses (hostMoved): never a silent re-target.
     */
    diff: async (id: string, olds: object, news: object): Promise<StateDiff> => {
      const d = diffState(spec, olds as Record<string, unknown>, news as Record<string, unknown>);
      const conn = (news as { connection?: ConnectionInput }).connection;
      if (!id || containsUnknown(conn)) return d;
      requireSameHost(spec.name, id, conn);
      const was = endpointOfId(id);
      const now = endpointFor(conn);
      if (was && now && now !== was && !d.replaces?.includes("connection"))
        return { ...d, changes: true, changed: [...new Set([...d.changed, "connection"])], replaces: [...(d.replaces ?? []), "connection"] };
      return d;
    },
  };
}

/** "kernel R created NAME with f got (asked w), …" for every asked value the kernel did not apply. */
export function mismatch(release: string, name: string, want: Array<[field: string, asked: unknown, got: unknown]>): string | undefined {
  const off = want.filter(([, w, got]) => w !== undefined && w !== got).map(([k, w, got]) => `${k} ${String(got)} (asked ${String(w)})`);
  return off.length ? `kernel ${release} created ${name} with ${off.join(", ")}` : undefined;
}
