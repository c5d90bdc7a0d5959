// The plugin's one place for secrets on the wire. The engine sends a secret value as
// { [SIG]: SECRET, value } (the plugin accepts secrets); controllers work on plain values, and
// what they return is wrapped again wherever the spec, or the caller, made it secret.
import { isRpcSecret, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { fieldMeta } from "../definition/field";
import type { ResourceDefinition } from "../definition/resource";
import type { z } from "zod";

// The wire form is @pulumi/pulumi's own (runtime/rpc), not a copy of its constants.
const isSecret = (v: unknown): v is { value: unknown } => isRpcSecret(v);

function reveal(v: unknown): unknown {
  if (isSecret(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map(reveal);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}

function containsSecret(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (v && typeof v === "object") return Object.values(v).some(containsSecret);
  return false;
}

export interface Revealed {
  plain: Record<string, unknown>;
  /** Top-level keys that carried a secret anywhere inside. */
  secretKeys: string[];
}

/** A property bag from the engine, without secret wrappers. */
export function revealAll(props: unknown): Revealed {
  const bag = props && typeof props === "object" ? (props as Record<string, unknown>) : {};
  return { plain: reveal(bag) as Record<string, unknown>, secretKeys: Object.keys(bag).filter((k) => containsSecret(bag[k])) };
}

/** The spec's secret fields (the connection). */
export function secretFields(spec: ResourceDefinition): string[] {
  return Object.entries(spec.inputs.shape as Record<string, z.ZodType>)
    .filter(([, s]) => fieldMeta.get(s)?.secret)
    .map(([k]) => k);
}

/** A property bag for the engine: each of `keys` present is sent as a secret, whole. */
export function conceal(props: object | undefined, keys: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(props ?? {}) };
  for (const k of keys) if (out[k] !== undefined && !isSecret(out[k])) out[k] = { [specialSigKey]: specialSecretSig, value: out[k] };
  return out;
}
