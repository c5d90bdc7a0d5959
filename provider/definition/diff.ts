// The one generic diff: old state vs new inputs over the spec's keys (never `__provider`).
// A changed field whose metadata says replaceOnChange replaces the resource, delete before
// create, because interface names are unique per netns. Fields left to the kernel
// (kernelDefault) are compared only when the program sets them.
import { isDeepStrictEqual } from "node:util";
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { fieldMeta, fieldsOf, metaOf } from "./field";
import type { ResourceDefinition } from "./resource";

/** The schema under optional/default wrappers. */
export function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (;;) {
    const def = (cur as unknown as { def: { type: string; innerType?: z.ZodType } }).def;
    if ((def.type === "optional" || def.type === "default" || def.type === "nullable") && def.innerType) cur = def.innerType;
    else return cur;
  }
}

interface FieldDiff {
  changed: boolean;
  replace: boolean;
}

function diffField(schema: z.ZodType, o: unknown, n: unknown): FieldDiff {
  const meta = fieldMeta.get(schema);
  if (n === undefined && meta?.kernelDefault) return { changed: false, replace: false };
  if (isDeepStrictEqual(o, n)) return { changed: false, replace: false };
  const inner = unwrap(schema);
  // An object field (the connection) replaces only when one of its replace-on-change
  // members changed: a new password is an update, another host is another device.
  if (inner instanceof z.ZodObject && o && n && typeof o === "object" && typeof n === "object") {
    let replace = false;
    for (const [k, sub] of fieldsOf(inner)) {
      const d = diffField(sub, (o as Record<string, unknown>)[k], (n as Record<string, unknown>)[k]);
      replace ||= d.changed && d.replace;
    }
    return { changed: true, replace };
  }
  return { changed: true, replace: meta?.replaceOnChange ?? false };
}

export interface StateDiff extends pulumi.dynamic.DiffResult {
  changes: boolean;
  /** Changed fields, replacing or not, for the update step. */
  changed: string[];
}

export function diffState(spec: ResourceDefinition, olds: Record<string, unknown>, news: Record<string, unknown>): StateDiff {
  const changed: string[] = [];
  const replaces: string[] = [];
  for (const [key, schema] of fieldsOf(spec.inputs)) {
    metaOf(schema); // every top-level field must be declared with metadata
    const d = diffField(schema, olds[key], news[key]);
    if (!d.changed) continue;
    changed.push(key);
    if (d.replace) replaces.push(key);
  }
  return { changes: changed.length > 0, changed, replaces, deleteBeforeReplace: true };
}
