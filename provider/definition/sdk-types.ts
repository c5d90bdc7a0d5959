// The SDK's public types (sdk/types.ts), rendered from the definitions as plain TypeScript:
// a user's program type-checks against them without zod (whose declarations need
// esModuleInterop under `moduleResolution: node`) or anything else of the provider. Object
// fields become named interfaces (the names schema.json gives them), enums named unions;
// each resource gets its inputs (what a program passes: defaults optional) and its outputs
// (inputs as the provider reports them, defaults filled in, plus what it reads back).
import type { z } from "zod";
import { fieldMeta } from "./field";
import type { ResourceDefinition } from "./resource";

type Mode = "input" | "output";

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string>;
  values?: unknown[];
  shape?: Record<string, z.ZodType>;
}

const defOf = (s: z.ZodType) => (s as unknown as { def: Def }).def;

interface Declarations {
  /** Name → body, in the order first met. */
  named: Map<string, string>;
}

/** One property's TypeScript type and whether it may be left out. */
function typeOf(s: z.ZodType, mode: Mode, nameHint: string, acc: Declarations, enumHint?: string): { type: string; optional: boolean } {
  const meta = fieldMeta.get(s);
  const enumName = meta?.enumName ?? enumHint;
  const def = defOf(s);
  // A field's metadata sits on its outermost schema; the type name it gives reaches the object inside.
  nameHint = meta?.typeName ?? nameHint;
  switch (def.type) {
    case "optional":
      return { type: typeOf(def.innerType!, mode, nameHint, acc, enumName).type, optional: true };
    case "default": {
      const inner = typeOf(def.innerType!, mode, nameHint, acc, enumName);
      return { type: inner.type, optional: mode === "input" || inner.optional };
    }
    case "nullable":
      return { type: `${typeOf(def.innerType!, mode, nameHint, acc, enumName).type} | null`, optional: false };
    case "pipe":
      // A transform that normalises a value (a MAC address to lower case): same type either side.
      return typeOf(def.in!, mode, nameHint, acc);
    case "string":
      return { type: "string", optional: false };
    case "number":
      return { type: "number", optional: false };
    case "boolean":
      return { type: "boolean", optional: false };
    case "literal": {
      const union = def.values!.map((v) => JSON.stringify(v)).join(" | ");
      if (!enumName) return { type: union, optional: false };
      declare(acc, enumName, `export type ${enumName} = ${union};`);
      return { type: enumName, optional: false };
    }
    case "enum": {
      const union = Object.values(def.entries!)
        .map((v) => JSON.stringify(v))
        .join(" | ");
      if (!enumName) return { type: union, optional: false };
      declare(acc, enumName, `export type ${enumName} = ${union};`);
      return { type: enumName, optional: false };
    }
    case "array": {
      const item = typeOf(def.element!, mode, nameHint, acc).type;
      return { type: /[ |&]/.test(item) ? `Array<${item}>` : `${item}[]`, optional: false };
    }
    case "union":
      return {
        type: def.options!.map((o, i) => typeOf(o, mode, defOf(o).type === "object" ? `${nameHint}Options` : `${nameHint}${i}`, acc).type).join(" | "),
        optional: false,
      };
    case "object":
      return { type: objectType(s as z.ZodObject, mode, nameHint, acc), optional: false };
    default:
      throw new Error(`sdk types: no TypeScript rendering for a zod ${def.type} (${nameHint})`);
  }
}

/** The properties of an object, one per line, with their descriptions. */
function members(o: z.ZodObject, mode: Mode, acc: Declarations, indent = "  "): string {
  const shape = o.shape as Record<string, z.ZodType>;
  return Object.entries(shape)
    .map(([k, s]) => {
      const t = typeOf(s, mode, k.charAt(0).toUpperCase() + k.slice(1), acc);
      const description = fieldMeta.get(s)?.description;
      const doc = description ? `${indent}/** ${description.replace(/\*\//g, "*\\/")} */\n` : "";
      return `${doc}${indent}${k}${t.optional ? "?" : ""}: ${t.type};`;
    })
    .join("\n");
}

/** A named interface for an object type; its output form (defaults filled in) is NameOutput where it differs. */
function objectType(o: z.ZodObject, mode: Mode, name: string, acc: Declarations): string {
  const body = members(o, mode, acc);
  if (mode === "output" && body === members(o, "input", { named: new Map() })) return objectType(o, "input", name, acc);
  const typeName = mode === "output" ? `${name}Output` : name;
  declare(acc, typeName, `export interface ${typeName} {\n${body}\n}`);
  return typeName;
}

function declare(acc: Declarations, name: string, body: string): void {
  const had = acc.named.get(name);
  if (had !== undefined && had !== body) throw new Error(`sdk types: two different types named ${name}`);
  acc.named.set(name, body);
}

export const SDK_TYPES_FILE = "sdk/types.ts";

/** The text of sdk/types.ts. */
export function renderSdkTypes(specs: ResourceDefinition[]): string {
  const acc: Declarations = { named: new Map() };
  const resources: string[] = [];
  for (const d of specs) {
    resources.push(`/** What a program declares for a ${d.name}. */\nexport interface ${d.name}Inputs {\n${members(d.inputs, "input", acc)}\n}`);
    resources.push(
      `/** What a ${d.name} reports: its inputs as the provider read them back, and what the kernel chose. */\n` +
        `export interface ${d.name}Outputs {\n${members(d.inputs, "output", acc)}\n${members(d.outputs, "output", acc)}\n}`,
    );
  }
  return [
    "// Generated by `npm run gen` from the resource definitions (provider/definition/sdk-types.ts):",
    "// edit those, not this file. Plain TypeScript, so that a program type-checks against the SDK",
    "// without the provider's own dependencies.",
    "",
    [...acc.named.values(), ...resources].join("\n\n"),
    "",
  ].join("\n");
}
