// Credentials from Pulumi stack config, so programs need not repeat them in every resource
// (and they never enter resource state): `pulumi config set --secret netkit:privateKey …`.
// A value given in a resource's connection wins over the config.
import type * as pulumi from "@pulumi/pulumi";
import type { ConnectionInput } from "./ssh/connection";

export const CONFIG_NAMESPACE = "netkit";
export const CREDENTIAL_KEYS = ["privateKey", "privateKeyPassphrase", "password", "agent"] as const;

export function credentialsFrom(config: { get(key: string): string | undefined }): Partial<ConnectionInput> {
  const out: Partial<Record<(typeof CREDENTIAL_KEYS)[number], string>> = {};
  for (const k of CREDENTIAL_KEYS) {
    const v = config.get(`${CONFIG_NAMESPACE}:${k}`);
    if (v !== undefined && v !== "") out[k] = v;
  }
  return out;
}

/** The dynamic provider's configure: remembers the stack's credentials in this process. */
export function configureFrom(set: (c: Partial<ConnectionInput>) => void): (req: pulumi.dynamic.ConfigureRequest) => Promise<void> {
  return async (req) => set(credentialsFrom(req.config));
}
