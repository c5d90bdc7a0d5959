// The kernel features the provider depends on, in one catalogue: what each is, how it is
// probed, and the one message that says a host lacks it. Features are always probed on the
// host (preflight.ts); `since` only tells a user which kernels to look for and is never
// compared with the running kernel's version (distributions backport, and disable).
import { CapabilityError } from "./errors";

export type KernelFeature =
  | "netkit"
  | "scrub"
  | "headroom"
  | "tailroom"
  | "ipv4BigTcp"
  | "single"
  | "queueLease"
  // The NIC side of a queue (probed only when a NIC resource asks: HostClient.nicFacts).
  | "ethtool"
  | "tcpDataSplit"
  | "hdsThresh"
  | "rssNetlink"
  | "napiSet"
  | "napiIrqSuspend"
  | "napiThreaded";

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
  ethtool: { what: "ethtool netlink (channels, rings)", probe: "CHANNELS_SET and RINGS_SET in the ethtool generic netlink family", since: "5.6" },
  tcpDataSplit: { what: "setting TCP header/data split", probe: "ETHTOOL_A_RINGS_TCP_DATA_SPLIT in RINGS_SET's policy", since: "6.9" },
  hdsThresh: { what: "the header/data split threshold", probe: "ETHTOOL_A_RINGS_HDS_THRESH in RINGS_SET's policy", since: "6.14" },
  rssNetlink: { what: "RSS indirection over ethtool netlink", probe: "RSS_GET and RSS_SET in the ethtool generic netlink family", since: "6.17" },
  napiSet: { what: "per-NAPI settings", probe: "napi-get and napi-set in the netdev generic netlink family", since: "6.13" },
  napiIrqSuspend: { what: "the NAPI IRQ suspend timeout", probe: "NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT in napi-set's policy", since: "6.13" },
  napiThreaded: { what: "threaded NAPI per instance", probe: "NETDEV_A_NAPI_THREADED in napi-set's policy", since: "6.17" },
};

/** Features of the NIC side, probed with HostClient.nicFacts() (a separate read, only for the resources that need them). */
export const NIC_FEATURES = ["ethtool", "tcpDataSplit", "hdsThresh", "rssNetlink", "napiSet", "napiIrqSuspend", "napiThreaded"] as const satisfies readonly KernelFeature[];
export type NicFeature = (typeof NIC_FEATURES)[number];

/** Whether a feature is one of the NIC side's (probed by probeNic, not by probeHost). */
export const isNicFeature = (f: KernelFeature): f is NicFeature => (NIC_FEATURES as readonly KernelFeature[]).includes(f);

export const FEATURE_NAMES = Object.keys(FEATURES) as KernelFeature[];

/** What a host's kernel has, each probed; the NIC side's only once probed (HostClient.nicFacts). */
export type FeatureSet = Record<Exclude<KernelFeature, NicFeature>, boolean> & Partial<Record<NicFeature, boolean>>;

/**
 * "HOST: kernel R has no WHAT (PROBE, Linux SINCE or later)[; FOR needs it[: ADVICE]]". `forWhat`
 * names what asked for it: a field ("headroom 64") or a resource ("NetkitSingle").
 */
export function missingFeature(host: string, release: string, feature: KernelFeature, forWhat?: string, advice?: string): CapabilityError {
  const f = FEATURES[feature];
  const need = forWhat ? `; ${forWhat} needs it${advice ? `: ${advice}` : ""}` : "";
  return new CapabilityError(`${host}: kernel ${release} has no ${f.what} (${f.probe}, Linux ${f.since} or later)${need}`, { feature });
}
