// The kernel features the provider depends on, in one catalogue: what each is, how it is
// probed, and the one message that says a host lacks it. Features are always probed on the
// host (preflight.ts); `since` only tells a user which kernels to look for and is never
// compared with the running kernel's version (distributions backport, and disable).
import { CapabilityError } from "./errors";

export type KernelFeature = "netkit" | "scrub" | "headroom" | "tailroom" | "ipv4BigTcp" | "single" | "queueLease";

export interface FeatureInfo {
  /** What it is, as a user would call it. */
  what: string;
  /** What the probe looks for: a netlink attribute or op the kernel must know. */
  probe: string;
  /** The first upstream release with it (Linux mainline), for the reader. */
  since: string;
}

export const FEATURES: Record<KernelFeature, FeatureInfo> = {
  netkit: { what: "netkit driver", probe: "CONFIG_NETKIT", since: "6.7" },
  scrub: { what: "netkit scrub setting", probe: "IFLA_NETKIT_SCRUB", since: "6.10" },
  headroom: { what: "netkit headroom setting", probe: "IFLA_NETKIT_HEADROOM", since: "6.14" },
  tailroom: { what: "netkit tailroom setting", probe: "IFLA_NETKIT_TAILROOM", since: "6.14" },
  ipv4BigTcp: { what: "IPv4 GSO/GRO size limits (BIG TCP for IPv4)", probe: "IFLA_GSO_IPV4_MAX_SIZE", since: "6.3" },
  single: { what: "netkit single mode", probe: "IFLA_NETKIT_PAIRING", since: "7.1" },
  queueLease: { what: "RX queue leasing", probe: "queue-create in the netdev generic netlink family", since: "7.1" },
};

export const FEATURE_NAMES = Object.keys(FEATURES) as KernelFeature[];

/** What a host's kernel has, each probed. */
export type FeatureSet = Record<KernelFeature, boolean>;

/**
 * "HOST: kernel R has no WHAT (PROBE, Linux SINCE or later)[; FOR needs it[: ADVICE]]". `forWhat`
 * names what asked for it: a field ("headroom 64") or a resource ("NetkitSingle").
 */
export function missingFeature(host: string, release: string, feature: KernelFeature, forWhat?: string, advice?: string): CapabilityError {
  const f = FEATURES[feature];
  const need = forWhat ? `; ${forWhat} needs it${advice ? `: ${advice}` : ""}` : "";
  return new CapabilityError(`${host}: kernel ${release} has no ${f.what} (${f.probe}, Linux ${f.since} or later)${need}`, { feature });
}
