// Provider configuration: a default connection from stack config (`netkit:host`,
// `netkit:privateKey` …), so programs need not repeat it in every resource and credentials
// never enter resource state. Both providers read it: the dynamic provider from the stack
// config its configure receives, the plugin from its provider inputs.
//   - A resource without `connection` uses the configured connection as a whole.
//   - A resource with its own `connection` takes only missing credentials from config.
import { z } from "zod";
import { NetkitError } from "./errors";
import { unwrap } from "./definition/diff";
import { connectionSchema, type ConnectionInput } from "./connection";
import { field } from "./definition/field";

export const CONFIG_NAMESPACE = "netkit";
/** Filled into a resource's own connection when it lacks them. */
export const CREDENTIAL_KEYS = ["privateKey", "privateKeyPassphrase", "password", "agent"] as const;

const shape = connectionSchema.shape as Record<string, z.ZodType>;
export const CONFIG_KEYS = Object.keys(shape);

/**
 * Config values arrive as strings from stack config (`pulumi config set netkit:port 2222`) or
 * typed from a provider resource's inputs; strings are read as the field's type.
 */
function coerce(schema: z.ZodType, v: unknown): unknown {
  if (typeof v !== "string") return v;
  const inner = unwrap(schema);
  if (inner instanceof z.ZodNumber) return v.trim() === "" ? v : Number(v);
  if (inner instanceof z.ZodBoolean) return v === "true" ? true : v === "false" ? false : v;
  if (inner instanceof z.ZodObject || inner instanceof z.ZodUnion) {
    if (v === "true" || v === "false") return v === "true";
    try {
      return JSON.parse(v);
    } catch {
      return v; // validation below names the key
    }
  }
  return v;
}

/** An issue's rule, after the field inside a JSON value it is about (jumpHost's hostKey, sudo's password). */
function issueText(i: z.core.$ZodIssue): string {
  return i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message;
}

/** The configured connection fields; throws naming the `netkit:` key of a bad value. */
export function connectionDefaultsFrom(get: (key: string) => unknown): Partial<ConnectionInput> {
  const out: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const raw = get(key);
    if (raw === undefined || raw === null || raw === "") continue;
    const v = coerce(shape[key]!, raw);
    const r = shape[key]!.safeParse(v);
    // The value may be a secret: the error names the key and the rule, never the value.
    if (!r.success)
      throw new NetkitError(`config ${CONFIG_NAMESPACE}:${key}: ${r.error.issues.map(issueText).join("; ")} (set it again: pulumi config set ${CONFIG_NAMESPACE}:${key} …)`);
    out[key] = v;
  }
  return out;
}

/** Settings of the provider itself, beside the default connection (stack config `netkit:<key>`). */
export const settingsSchema = z.object({
  previewChecks: field(z.boolean().optional(), {
    description:
      "Whether check asks each host, read-only and once per run, what only it knows: the kernel features the inputs need, names already taken, " +
      "missing network namespaces and NICs, NIC queues out of range. A host that cannot be reached is reported in a warning, never an error. " +
      "Set false for previews without access to the hosts. Default: true.",
  }),
});
export interface ProviderSettings {
  previewChecks: boolean;
}
export const DEFAULT_SETTINGS: ProviderSettings = { previewChecks: true };

/** The provider's settings; throws naming the `netkit:` key of a bad value. */
export function settingsFrom(get: (key: string) => unknown): ProviderSettings {
  const out: ProviderSettings = { ...DEFAULT_SETTINGS };
  for (const [key, schema] of Object.entries(settingsSchema.shape)) {
    const raw = get(key);
    if (raw === undefined || raw === null || raw === "") continue;
    const r = schema.safeParse(coerce(schema, raw));
    if (!r.success)
      throw new NetkitError(`config ${CONFIG_NAMESPACE}:${key}: ${r.error.issues.map(issueText).join("; ")} (set it again: pulumi config set ${CONFIG_NAMESPACE}:${key} …)`);
    if (r.data !== undefined) (out as unknown as Record<string, unknown>)[key] = r.data;
  }
  return out;
}

/** Everything `netkit:` config can hold: the default connection's fields and the settings (schema.json's config). */
export const providerConfigSchema = connectionSchema.extend(settingsSchema.shape);

/** Stack config as the dynamic provider's configure sees it (`netkit:host` keys). */
export function fromStackConfig(config: { get(key: string): string | undefined }): Partial<ConnectionInput> {
  return connectionDefaultsFrom((k) => config.get(`${CONFIG_NAMESPACE}:${k}`));
}

/**
 * The connection a resource uses: its own, completed with configured credentials, or the
 * configured one. Undefined when neither names a host.
 */
export function effectiveConnection(own: ConnectionInput | undefined, defaults: Partial<ConnectionInput>): ConnectionInput | undefined {
  if (own) {
    const merged: Record<string, unknown> = { ...own };
    for (const k of CREDENTIAL_KEYS) if (defaults[k] !== undefined) merged[k] ??= defaults[k];
    return merged as ConnectionInput;
  }
  return defaults.host === undefined ? undefined : (defaults as ConnectionInput);
}

export const NO_CONNECTION =
  `required: give the resource a connection, or configure a default one: pulumi config set ${CONFIG_NAMESPACE}:host HOST, ` +
  `pulumi config set ${CONFIG_NAMESPACE}:hostKey "$(ssh-keyscan -t ed25519 HOST)" (verify it out of band) and ` +
  `pulumi config set --secret ${CONFIG_NAMESPACE}:privateKey < ~/.ssh/id_ed25519 (your key)`;
