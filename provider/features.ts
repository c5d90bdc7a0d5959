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
  /** Stable releases of an older series that have it too (a backport), e.g. "6.12.4". */
  stable?: string;
  /**
   * Where `since` (and `stable`) come from: the upstream commit or series. Every feature the
   * host-requirements table names must have one (a unit test checks).
   */
  source?: string;
}

export const FEATURES: Record<KernelFeature, FeatureInfo> = {
  netkit: { what: "netkit driver", probe: "CONFIG_NETKIT", since: "6.7", source: 'commit 35dfaad7188c "netkit, bpf: Add bpf programmable net device" (merged for 6.7)' },
  scrub: {
    what: "netkit scrub setting",
    probe: "IFLA_NETKIT_SCRUB",
    since: "6.13",
    stable: "6.12.4",
    source:
      'commit 83134ef46093 "netkit: Add option for scrubbing skb meta data" (bpf-next, October 2024; merged for 6.13), backported to 6.12.4 (stable review "6.12.4-rc1", patch 011/146)',
  },
  headroom: {
    what: "netkit headroom setting",
    probe: "IFLA_NETKIT_HEADROOM",
    since: "6.14",
    source: 'commit b9ed315d3c4c "netkit: Allow for configuring needed_{head,tail}room" (bpf-next, December 2024; merged for 6.14)',
  },
  tailroom: {
    what: "netkit tailroom setting",
    probe: "IFLA_NETKIT_TAILROOM",
    since: "6.14",
    source: 'commit b9ed315d3c4c "netkit: Allow for configuring needed_{head,tail}room" (bpf-next, December 2024; merged for 6.14)',
  },
  ipv4BigTcp: {
    what: "IPv4 GSO/GRO size limits (BIG TCP for IPv4)",
    probe: "IFLA_GSO_IPV4_MAX_SIZE",
    since: "6.3",
    source: 'commit 9eefedd58ae1 "net: add gso_ipv4_max_size and gro_ipv4_max_size per device" (net-next, January 2023; merged for 6.3)',
  },
  single: {
    what: "netkit single mode",
    probe: "IFLA_NETKIT_PAIRING",
    since: "7.1",
    source: 'the series "netkit: Support for io_uring zero-copy and AF_XDP" (net-next, January 2026); IFLA_NETKIT_PAIRING first appears in the 7.1-rc1 UAPI headers',
  },
  queueLease: {
    what: "RX queue leasing",
    probe: "queue-create in the netdev generic netlink family",
    since: "7.1",
    source: 'the series "netkit: Support for io_uring zero-copy and AF_XDP" (net-next, January 2026); queue-create first appears in the 7.1-rc1 UAPI headers',
  },
  ethtool: {
    what: "ethtool netlink (channels, rings)",
    probe: "CHANNELS_SET and RINGS_SET in the ethtool generic netlink family",
    since: "5.7",
    source:
      'commits 2fc2929e8072 "ethtool: set device ring sizes with RINGS_SET request" and e19c591eafad "ethtool: set device channel counts with CHANNELS_SET request" (net-next, March 2020; merged for 5.7)',
  },
  tcpDataSplit: {
    what: "setting TCP header/data split",
    probe: "ETHTOOL_A_RINGS_TCP_DATA_SPLIT in RINGS_SET's policy",
    since: "6.8",
    source: 'commit 50d73710715d "ethtool: add SET for TCP_DATA_SPLIT ringparam" (net-next, December 2023; merged for 6.8)',
  },
  hdsThresh: {
    what: "the header/data split threshold",
    probe: "ETHTOOL_A_RINGS_HDS_THRESH in RINGS_SET's policy",
    since: "6.14",
    source: 'commit eec8359f0797 "net: ethtool: add support for configuring hds-thresh" (net-next, January 2025; merged for 6.14)',
  },
  rssNetlink: {
    what: "RSS indirection over ethtool netlink",
    probe: "RSS_GET and RSS_SET in the ethtool generic netlink family",
    since: "6.17",
    source:
      'commit c0ae03588bbb "ethtool: rss: initial RSS_SET (indirection table handling)" (net-next, July 2025; merged for 6.17); RSS_GET is older, commit 7112a04664bf "ethtool: add netlink based get rss support" (net-next, December 2022)',
  },
  napiSet: {
    what: "per-NAPI settings",
    probe: "napi-get and napi-set in the netdev generic netlink family",
    since: "6.13",
    source: 'the per-NAPI configuration series of Joe Damato (net-next, October 2024, e.g. commit f15e3b3ddb9f "net: napi: Make napi_defer_hard_irqs per-NAPI"; merged for 6.13)',
  },
  napiIrqSuspend: {
    what: "the NAPI IRQ suspend timeout",
    probe: "NETDEV_A_NAPI_IRQ_SUSPEND_TIMEOUT in napi-set's policy",
    since: "6.13",
    source: 'commit 5dc51ec86df6 "net: Add napi_struct parameter irq_suspend_timeout" (net-next, November 2024; merged for 6.13)',
  },
  napiThreaded: {
    what: "threaded NAPI per instance",
    probe: "NETDEV_A_NAPI_THREADED in napi-set's policy",
    since: "6.17",
    source: 'commit 2677010e7793 "Add support to set NAPI threaded for individual NAPI" (net-next, July 2025; merged for 6.17)',
  },
};

/** Features of the NIC side, probed with HostClient.nicFacts() (a separate read, only for the resources that need them). */
export const NIC_FEATURES = ["ethtool", "tcpDataSplit", "hdsThresh", "rssNetlink", "napiSet", "napiIrqSuspend", "napiThreaded"] as const satisfies readonly KernelFeature[];
export type NicFeature = (typeof NIC_FEATURES)[number];

/** Whether a feature is one of the NIC side's (probed by probeNic, not by probeHost). */
export const isNicFeature = (f: KernelFeature): f is NicFeature => (NIC_FEATURES as readonly KernelFeature[]).includes(f);

/** "Linux 6.13+" or, with a stable backport, "Linux 6.13+ or 6.12.4+". */
export function releasesWith(f: FeatureInfo): string {
  return `Linux ${f.since}+${f.stable ? ` or ${f.stable}+` : ""}`;
}

/** What every instance of a resource needs, given its own needs: netkit too, unless it manages a NIC. */
export function requiredFeatures(needs: readonly KernelFeature[] | undefined): KernelFeature[] {
  const own = [...(needs ?? [])];
  return own.some(isNicFeature) ? own : ["netkit", ...own];
}

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
  const series = f.stable?.split(".").slice(0, 2).join(".");
  const releases = `Linux ${f.since} or later${f.stable ? `, or ${f.stable} or later in the ${series} series` : ""}`;
  return new CapabilityError(`${host}: kernel ${release} has no ${f.what} (${f.probe}, ${releases})${need}`, { feature });
}
