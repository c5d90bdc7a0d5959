// The generic link attributes of a device side (LINK_ATTRIBUTES, provider/netlink/link.ts)
// between a resource's inputs and the kernel, every row alike: what a create sends, what it
// sets right after (what the kernel takes only on a live device), what a change sends, what
// the kernel must have applied, and the outputs read back. A single device and a pair's
// primary use the table's names, a pair's peer the "peer"-prefixed ones (peerMtu, …).
import { LINK_ATTRIBUTE_ROWS, type CreateAttributes, type Link, type LinkAttributeKey, type LinkAttributes, type LinkChange } from "../netlink/link";

export type Side = "" | "peer";

/** The input field of attribute `k` on a side: "mtu", or "peerMtu" for a pair's peer. */
export function inputKey(side: Side, k: LinkAttributeKey): string {
  return side ? `peer${k[0]!.toUpperCase()}${k.slice(1)}` : k;
}

/** The attributes `inputs` declare for a side. */
export function declaredAttributes(inputs: object, side: Side): LinkAttributes {
  const i = inputs as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k] of LINK_ATTRIBUTE_ROWS) if (i[inputKey(side, k)] !== undefined) out[k] = i[inputKey(side, k)];
  return out;
}

/** A create: what the kernel takes at creation, and what only a live device takes (set right after it). */
export function createAttributes(inputs: object, side: Side): { create: CreateAttributes; after: LinkChange } {
  const declared = declaredAttributes(inputs, side) as Record<string, unknown>;
  const create: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const [k, row] of LINK_ATTRIBUTE_ROWS) {
    const v = declared[k];
    // What a new device has already (an empty alias) needs no request.
    if (v === undefined || (row.applies === "after" && v === row.absent)) continue;
    (row.applies === "after" ? after : create)[k] = v;
  }
  return { create, after };
}

/**
 * What an update sends for a side: the changed attributes a live device takes, and with each
 * the declared value of the attribute it overwrites (`resend`: the kernel sets the IPv4 GSO/GRO
 * limit too when the generic one is at most 65536; in one request it applies the IPv4 one after).
 */
export function changedAttributes(news: object, side: Side, changed: string[]): LinkChange {
  const declared = declaredAttributes(news, side) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, row] of LINK_ATTRIBUTE_ROWS) {
    if (row.applies === "create" || !changed.includes(inputKey(side, k)) || declared[k] === undefined) continue;
    out[k] = declared[k];
    if (row.resend && declared[row.resend] !== undefined) out[row.resend] = declared[row.resend];
  }
  return out;
}

/** The attributes as the kernel reports them, under the side's input keys (one it omits reads as the row's `absent`). */
export function reportedAttributes(l: Link | undefined, side: Side): Record<string, unknown> {
  if (!l) return {};
  return Object.fromEntries(LINK_ATTRIBUTE_ROWS.map(([k, row]) => [inputKey(side, k), l[k] ?? row.absent]));
}

/** [field, asked, got] for each declared attribute, for a create's verification. */
export function attributeChecks(inputs: object, l: Link | undefined, side: Side): Array<[string, unknown, unknown]> {
  const asked = declaredAttributes(inputs, side) as Record<string, unknown>;
  const got = reportedAttributes(l, side);
  return LINK_ATTRIBUTE_ROWS.filter(([k]) => asked[k] !== undefined).map(([k]) => [inputKey(side, k), asked[k], got[inputKey(side, k)]]);
}
