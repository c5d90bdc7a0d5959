// The live link settings of a device side (fields.ts linkSettingFields) between the inputs and
// the kernel: what to create with, what a change sends, what must have been applied, and the
// outputs read back. A single device and a pair's primary use the plain keys, a pair's peer
// the "peer"-prefixed ones.
import type { Link, LinkSettings } from "../netlink/link";
import { LINK_SETTING_KEYS, peerKey, type LinkSettingKey } from "./fields";

export type Side = "" | "peer";

const keyOf = (side: Side, k: LinkSettingKey): string => (side ? peerKey(k) : k);

/** The settings `inputs` declare for a side. */
export function declaredSettings(inputs: object, side: Side): LinkSettings {
  const i = inputs as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of LINK_SETTING_KEYS) if (i[keyOf(side, k)] !== undefined) out[k] = i[keyOf(side, k)];
  return out;
}

/** Creation takes every setting but the alias (rtnl_create_link ignores it); that is set right after. */
export function createSettings(inputs: object, side: Side): { create: Omit<LinkSettings, "alias">; after: LinkSettings } {
  const { alias, ...create } = declaredSettings(inputs, side);
  // An empty alias is what a new device has.
  return { create, after: alias ? { alias } : {} };
}

/**
 * What an update sends for a side: the changed settings, and a declared IPv4 limit whenever
 * its generic one is sent (the kernel sets the IPv4 limit too when the generic one is at most
 * 65536; in the same request the IPv4 value is applied after it).
 */
export function changedSettings(news: object, side: Side, changed: string[]): LinkSettings {
  const all = declaredSettings(news, side);
  const out: LinkSettings = {};
  const put = <K extends keyof LinkSettings>(k: K) => {
    if (all[k] !== undefined) out[k] = all[k];
  };
  for (const k of LINK_SETTING_KEYS) if (changed.includes(keyOf(side, k))) put(k);
  if (out.gsoMaxSize !== undefined) put("gsoIpv4MaxSize");
  if (out.groMaxSize !== undefined) put("groIpv4MaxSize");
  return out;
}

/** The settings as the kernel reports them, under the side's keys (no alias reads as ""). */
export function reportedSettings(l: Link | undefined, side: Side): Record<string, unknown> {
  if (!l) return {};
  const seen: Record<LinkSettingKey, unknown> = {
    gsoMaxSize: l.gsoMaxSize,
    gsoMaxSegs: l.gsoMaxSegs,
    groMaxSize: l.groMaxSize,
    gsoIpv4MaxSize: l.gsoIpv4MaxSize,
    groIpv4MaxSize: l.groIpv4MaxSize,
    alias: l.alias ?? "",
    group: l.group,
  };
  return Object.fromEntries(LINK_SETTING_KEYS.map((k) => [keyOf(side, k), seen[k]]));
}

/** [field, asked, got] for each declared setting, for the create's verification. */
export function settingChecks(inputs: object, l: Link | undefined, side: Side): Array<[string, unknown, unknown]> {
  const asked = declaredSettings(inputs, side) as Record<string, unknown>;
  const got = reportedSettings(l, side);
  return LINK_SETTING_KEYS.filter((k) => asked[k] !== undefined).map((k) => [keyOf(side, k), asked[k], got[keyOf(side, k)]]);
}
