// Provider configuration keys that can carry a credential are secret in schema.json, so
// SDKs, YAML and the engine keep them encrypted (`netkit:jumpHost` has the jump host's key
// and password; `netkit:sudo` the sudo password).
import assert from "node:assert/strict";
import { renderSchema } from "../../../provider/artefacts";

type Property = { secret?: boolean; $ref?: string; oneOf?: Array<{ $ref?: string }> };
interface Schema {
  config: { variables: Record<string, Property> };
  provider: { inputProperties: Record<string, Property> };
  types: Record<string, { properties?: Record<string, Property> }>;
}

/** Whether a property, or anything in the object types it refers to, is secret. */
function carriesSecret(p: Property, types: Schema["types"], seen = new Set<string>()): boolean {
  if (p.secret) return true;
  const refs = [p.$ref, ...(p.oneOf ?? []).map((o) => o.$ref)].filter((r): r is string => r !== undefined);
  return refs.some((ref) => {
    const tok = ref.replace("#/types/", "");
    if (seen.has(tok)) return false;
    seen.add(tok);
    return Object.values(types[tok]?.properties ?? {}).some((q) => carriesSecret(q, types, seen));
  });
}

describe("unit: provider configuration secrets in schema.json", () => {
  const schema = JSON.parse(renderSchema()) as Schema;

  it("netkit:jumpHost, netkit:sudo and the credentials are secret; the address and limits are not", () => {
    const v = schema.config.variables;
    for (const k of ["jumpHost", "sudo", "privateKey", "privateKeyPassphrase", "password"]) assert.equal(v[k]!.secret, true, `netkit:${k}`);
    for (const k of ["host", "port", "user", "hostKey", "connectTimeoutMs", "maxSessions"]) assert.equal(v[k]!.secret, undefined, `netkit:${k}`);
  });

  it("every config key that can carry a secret is secret, as config and as the provider's inputs", () => {
    for (const [where, props] of [
      ["config", schema.config.variables],
      ["provider input", schema.provider.inputProperties],
    ] as const) {
      for (const [k, p] of Object.entries(props)) if (carriesSecret(p, schema.types)) assert.equal(p.secret, true, `${where} ${k} carries a secret`);
    }
  });
});
