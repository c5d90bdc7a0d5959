// Per-field metadata, attached to each zod schema through a typed registry (not string
// tags), so a misspelled annotation is a type error rather than a silently dropped
// replace-on-change.
import { z } from "zod";
import type { KernelFeature } from "../features";

export interface FieldMeta {
  description: string;
  /** The kernel cannot change it on a live device: a change replaces the resource. */
  replaceOnChange?: boolean;
  /** Stored encrypted in state; never logged. */
  secret?: boolean;
  /** Pulumi schema name for an enum field's type, e.g. "NetkitMode". */
  enumName?: string;
  /** Pulumi schema name for the object type of a field (or of its list's items), e.g. "Lease". */
  typeName?: string;
  /** The schema's description of that object type, where the type serves several fields (default: the field's description). */
  typeDescription?: string;
  /** When unset, the kernel chooses; its value is reported but never diffed. */
  kernelDefault?: string;
  /**
   * A kernel feature the field needs, probed before anything is created. `except` is the value
   * that a kernel without the feature has anyway (scrub "default", headroom 0): unset or that
   * value works everywhere; any other value on a host without the feature is a CapabilityError.
   * Without `except`, every value needs the feature.
   */
  needs?: { feature: KernelFeature; except?: unknown };
}

export const fieldMeta = z.registry<FieldMeta>();

/**
 * A field: its schema plus metadata. Registers a clone, because the registry is keyed by
 * schema instance and shared types (an interface name used for two fields) must not
 * overwrite each other's metadata.
 */
export function field<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  const own = schema.clone();
  fieldMeta.add(own, meta);
  return own;
}

export function metaOf(schema: z.ZodType): FieldMeta {
  const m = fieldMeta.get(schema);
  if (!m) throw new Error("field without metadata: declare it with field()");
  return m;
}

/** A zod object's fields by key, typed (zod's shape of a generic object is `any`-valued). */
export function fieldsOf(o: z.ZodObject): Array<[string, z.ZodType]> {
  const shape: Record<string, z.ZodType> = o.shape;
  return Object.entries(shape);
}
