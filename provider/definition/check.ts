// check(): validates inputs before any host is contacted. Every zod issue becomes a
// CheckFailure whose property is the field's path, so the engine points at the field.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { fieldMeta } from "./field";
import type { ResourceDefinition } from "./resource";

export interface CheckResult<T> {
  inputs: T;
  failures: pulumi.dynamic.CheckFailure[];
}

function propertyOf(path: PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
    .join(".")
    .replace(/\.\[/g, "[");
}

/** The engine's placeholder for a value not known until apply (computed by another resource). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function containsUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(containsUnknown);
  if (v && typeof v === "object") return Object.values(v).some(containsUnknown);
  return false;
}

/** A top-level input marked secret (the connection). */
function isSecretField(spec: ResourceDefinition, property: string): boolean {
  const s = (spec.inputs.shape as Record<string, z.ZodType>)[property];
  return s !== undefined && fieldMeta.get(s)?.secret === true;
}

export function checkInputs<S extends ResourceDefinition>(spec: S, news: Record<string, unknown>): CheckResult<z.output<S["inputs"]>> {
  // Engine-owned keys (__provider) are not ours to validate; they pass through untouched.
  const ours = Object.fromEntries(Object.entries(news).filter(([k]) => !k.startsWith("__")));
  const engine = Object.fromEntries(Object.entries(news).filter(([k]) => k.startsWith("__")));
  // During preview some values may be unknown: validate everything else now; the unknown
  // fields are validated by the check that runs when their values are known.
  const unknownKeys = Object.keys(ours).filter((k) => containsUnknown(ours[k]));
  const schema = unknownKeys.length ? spec.inputs.safeExtend(Object.fromEntries(unknownKeys.map((k) => [k, z.any()]))) : spec.inputs;
  const r = schema.safeParse(ours);
  if (r.success) return { inputs: { ...engine, ...r.data } as z.output<S["inputs"]>, failures: [] };
  const failures = r.error.issues.map((i) => {
    // An unknown key is reported at the object; name the key itself.
    const keys = i.code === "unrecognized_keys" ? (i as { keys: string[] }).keys : [];
    const property = keys.length ? propertyOf([...i.path, keys[0]!]) : propertyOf(i.path);
    const reason = keys.length ? `${keys.join(", ")}: not a field of ${spec.name}` : i.message;
    // The engine prints the input's value next to a top-level property ("property connection
    // value {…}"), secrets unmasked; for a secret field, name it in the reason instead.
    if (isSecretField(spec, property)) return { property: "", reason: `${property}: ${reason}` };
    return { property: property || spec.name, reason };
  });
  return { inputs: news as z.output<S["inputs"]>, failures };
}
