// Generates the Pulumi package schema (schema.json) from the resource specs: property types,
// descriptions, defaults, secrets, replace-on-change, enums and the shared Connection type.
import { z } from "zod";
import { fieldMeta, metaOf } from "./field";
import { unwrap } from "./diff";
import type { ResourceDefinition } from "./resource";

export const PACKAGE = "netkit";
/** The repository the package is published from; the Go SDK's module path is derived from it. */
export const REPOSITORY = "github.com/pulumi-netkit/pulumi-netkit";
/** The Go SDK's module (sdk/go of the repository) and the package programs import. */
export const GO_MODULE = `${REPOSITORY}/sdk/go`;
export const GO_IMPORT = `${GO_MODULE}/${PACKAGE}`;
/** The Python SDK's distribution and import name. */
export const PYTHON_PACKAGE = `pulumi_${PACKAGE}`;
const token = (name: string) => `${PACKAGE}:index:${name}`;

type JsonSchema = { type?: string; enum?: unknown[]; const?: unknown; default?: unknown; minimum?: number; maximum?: number; minLength?: number };

export interface PulumiProperty {
  type?: string;
  $ref?: string;
  /** Of a list ("type": "array"). */
  items?: { type?: string; $ref?: string };
  oneOf?: Array<{ type?: string; $ref?: string }>;
  description: string;
  default?: unknown;
  secret?: boolean;
  /** Pulumi schema key (plural): the engine replaces on a change of this property. */
  replaceOnChanges?: boolean;
}

interface Collected {
  types: Record<string, unknown>;
}

function jsonOf(s: z.ZodType): JsonSchema {
  return z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

function scalarType(js: JsonSchema): string {
  return js.type === "integer" ? "integer" : js.type === "number" ? "number" : js.type === "boolean" ? "boolean" : "string";
}

function limits(js: JsonSchema): string {
  const parts: string[] = [];
  // zod gives every .int() the safe-integer range: that says nothing a reader needs.
  const declared = js.minimum !== Number.MIN_SAFE_INTEGER || js.maximum !== Number.MAX_SAFE_INTEGER;
  if (js.minimum !== undefined && js.maximum !== undefined && declared) parts.push(`${js.minimum}-${js.maximum}`);
  return parts.length ? ` Range: ${parts.join(", ")}.` : "";
}

function property(name: string, s: z.ZodType, acc: Collected): PulumiProperty {
  const meta = metaOf(s);
  const inner = unwrap(s);
  const js = jsonOf(s);
  const p: PulumiProperty = { description: meta.description };
  const typeName = name.charAt(0).toUpperCase() + name.slice(1);
  if (inner instanceof z.ZodObject) {
    acc.types[token(meta.typeName ?? typeName)] = objectType(inner, meta.typeDescription ?? meta.description, acc);
    p.$ref = `#/types/${token(meta.typeName ?? typeName)}`;
  } else if (inner instanceof z.ZodArray) {
    const item = unwrap(inner.element as z.ZodType);
    p.type = "array";
    if (item instanceof z.ZodObject) {
      const name = meta.typeName ?? typeName;
      acc.types[token(name)] = objectType(item, meta.description, acc);
      p.items = { $ref: `#/types/${token(name)}` };
    } else p.items = { type: scalarType(jsonOf(item)) };
  } else if (inner instanceof z.ZodUnion) {
    // e.g. sudo: true | { password }: a scalar or a named object type.
    p.oneOf = (inner.options as z.ZodType[]).map((o) => {
      if (o instanceof z.ZodObject) {
        acc.types[token(`${typeName}Options`)] = objectType(o, meta.description, acc);
        return { $ref: `#/types/${token(`${typeName}Options`)}` };
      }
      return { type: scalarType(jsonOf(o)) };
    });
  } else if (meta.enumName) {
    const values = js.enum ?? (js.const !== undefined ? [js.const] : []);
    const existing = acc.types[token(meta.enumName)] as { enum: Array<{ value: unknown }> } | undefined;
    const merged = [...new Set([...(existing?.enum.map((e) => e.value) ?? []), ...values])];
    acc.types[token(meta.enumName)] = { type: "string", enum: merged.map((value) => ({ value })) };
    p.$ref = `#/types/${token(meta.enumName)}`;
  } else {
    p.type = scalarType(js);
    p.description += limits(js);
  }
  if (js.default !== undefined) p.default = js.default;
  if (meta.kernelDefault) p.description += ` Unset: the kernel's default (${meta.kernelDefault}).`;
  if (meta.secret) p.secret = true;
  if (meta.replaceOnChange) p.replaceOnChanges = true;
  return p;
}

function isOptional(s: z.ZodType): boolean {
  return s.safeParse(undefined).success;
}

function objectType(o: z.ZodObject, description: string, acc: Collected) {
  const shape = o.shape as Record<string, z.ZodType>;
  const required = Object.entries(shape)
    .filter(([, s]) => !isOptional(s))
    .map(([k]) => k);
  // Pulumi drops an empty list when it reads the schema: leave it out, so the served schema equals this one.
  return {
    type: "object",
    description,
    properties: Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, property(k, s, acc)])),
    ...(required.length ? { required } : {}),
  };
}

/**
 * `config`: the provider's configuration (stack config `netkit:<key>`, or an explicit
 * provider's inputs); every key optional.
 */
export function packageSchema(specs: ResourceDefinition[], version: string, config?: z.ZodObject): Record<string, unknown> {
  const acc: Collected = { types: {} };
  const variables = Object.fromEntries(
    Object.entries((config?.shape ?? {}) as Record<string, z.ZodType>).map(([k, s]) => {
      const { replaceOnChanges: _ignored, ...p } = property(k, s, acc);
      return [k, p];
    }),
  );
  const resources: Record<string, unknown> = {};
  for (const spec of specs) {
    const ins = spec.inputs.shape as Record<string, z.ZodType>;
    const outs = spec.outputs.shape as Record<string, z.ZodType>;
    const inputProperties = Object.fromEntries(Object.entries(ins).map(([k, s]) => [k, property(k, s, acc)]));
    const outputOnly = Object.fromEntries(Object.entries(outs).map(([k, s]) => [k, property(k, s, acc)]));
    resources[token(spec.name)] = {
      description: spec.description,
      inputProperties,
      requiredInputs: Object.entries(ins)
        .filter(([, s]) => !isOptional(s) && !fieldMeta.get(s)?.kernelDefault && jsonOf(s).default === undefined)
        .map(([k]) => k),
      properties: { ...inputProperties, ...outputOnly },
      required: [
        ...Object.entries(ins)
          .filter(([, s]) => !isOptional(s) || jsonOf(s).default !== undefined)
          .map(([k]) => k),
        ...Object.entries(outs)
          .filter(([, s]) => !isOptional(s))
          .map(([k]) => k),
      ],
    };
  }
  return {
    name: PACKAGE,
    displayName: "netkit",
    description: "Linux netkit devices (pairs, single devices, NIC RX queue leases) managed over SSH.",
    keywords: ["netkit", "linux", "networking", "ebpf", "kubernetes", "category/network"],
    license: "Apache-2.0",
    repository: `https://${REPOSITORY}`,
    version,
    // supportPack: the SDKs are whole packages of this version (pyproject.toml, go.mod) that
    // name the plugin release they need.
    meta: { moduleFormat: "(.*)", supportPack: true },
    config: { variables },
    provider: {
      description: "The netkit provider. Its configuration is the default connection of resources that have none.",
      inputProperties: variables,
    },
    types: Object.fromEntries(Object.entries(acc.types).sort(([a], [b]) => a.localeCompare(b))),
    resources,
    // What the Python and Go generators (scripts/toolchain/sdkgen) need beyond the types.
    language: {
      go: { importBasePath: GO_IMPORT, respectSchemaVersion: true },
      python: { packageName: PYTHON_PACKAGE, pyproject: { enabled: true }, respectSchemaVersion: true },
    },
  };
}
