// Kernel UAPI values used by the codec, with the kernel's own names
// (include/uapi/linux/{netlink,rtnetlink,if_link,netdev,genetlink}.h, Linux 7.x).

export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;

// nlmsghdr types and flags
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP_INTR = 0x10; // on dump replies: the set changed during the dump, it may be inconsistent
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_CAPPED = 0x100; // on NLMSG_ERROR replies: only the request header is echoed
export const NLM_F_ACK_TLVS = 0x200; // on NLMSG_ERROR replies: extack TLVs follow
export const NLA_F_NESTED = 0x8000;
export const NLA_TYPE_MASK = ~(0x8000 | 0x4000) & 0xffff;

export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

// rtnetlink
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_SETLINK = 19;
export const RTM_NEWNSID = 88;
export const RTM_GETNSID = 90;
export const AF_UNSPEC = 0;
export const IFF_UP = 0x1;

export const IFLA = {
  ADDRESS: 1,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  TXQLEN: 13,
  OPERSTATE: 16,
  /** A free-form description of the device (`ip link set NAME alias TEXT`), at most IFALIASZ - 1 = 255 bytes. */
  IFALIAS: 20,
  /** Per address family settings: IPv4's are the device's net.ipv4.conf.DEV.* (IFLA_INET_CONF). */
  AF_SPEC: 26,
  /** The device group (`ip link set NAME group N`), u32; 0 is "default". */
  GROUP: 27,
  LINKINFO: 18,
  NET_NS_PID: 19,
  NET_NS_FD: 28,
  EXT_MASK: 29,
  NUM_TX_QUEUES: 31,
  NUM_RX_QUEUES: 32,
  CARRIER: 33,
  LINK_NETNSID: 37,
  GSO_MAX_SEGS: 40,
  GSO_MAX_SIZE: 41,
  MIN_MTU: 50,
  MAX_MTU: 51,
  PERM_ADDRESS: 54,
  /** Present only on devices with a parent (a bus device): physical NICs, netdevsim. */
  PARENT_DEV_NAME: 56,
  PARENT_DEV_BUS_NAME: 57,
  GRO_MAX_SIZE: 58,
  /** Query only: the largest GSO size the device supports (netkit: GSO_MAX_SIZE = 524280). */
  TSO_MAX_SIZE: 59,
  TSO_MAX_SEGS: 60,
  /** Linux 6.3+: the IPv4 variants of the GSO/GRO limits (BIG TCP for IPv4). */
  GSO_IPV4_MAX_SIZE: 63,
  GRO_IPV4_MAX_SIZE: 64,
} as const;

export const IFLA_INFO = { KIND: 1, DATA: 2 } as const;

/** IFLA_AF_SPEC's entry for IPv4 is keyed by its address family. */
export const AF_INET = 2;
/** IFLA_INET_* (include/uapi/linux/if_link.h): IFLA_AF_SPEC's AF_INET entry. */
export const IFLA_INET = { CONF: 1 } as const;
/**
 * IPV4_DEVCONF_* (include/uapi/linux/ip.h): the device's net.ipv4.conf.DEV.* settings. Set as
 * attributes of IFLA_INET_CONF (type = the setting); read back as one u32 array, setting N at
 * index N - 1.
 */
export const IPV4_DEVCONF = { RP_FILTER: 8 } as const;

export const NETNSA = { NSID: 1, PID: 2, FD: 3 } as const;
/** NETNSA_NSID_NOT_ASSIGNED: RTM_GETNSID's answer when the peer netns has no id here. */
export const NSID_NOT_ASSIGNED = -1;
/** struct rtgenmsg (one byte) padded to NLMSG_ALIGN: the header of RTM_*NSID messages. */
export const RTGENMSG_LEN = 4;

// Generic netlink (include/uapi/linux/genetlink.h)
export const GENL_ID_CTRL = 16;
export const GENLMSGHDR_LEN = 4;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_CMD_GETPOLICY = 10;
export const CTRL_ATTR = { FAMILY_ID: 1, FAMILY_NAME: 2, VERSION: 3, HDRSIZE: 4, MAXATTR: 5, OPS: 6, MCAST_GROUPS: 7, POLICY: 8, OP_POLICY: 9, OP: 10 } as const;
export const CTRL_ATTR_POLICY = { DO: 1, DUMP: 2 } as const;
export const CTRL_ATTR_OP = { ID: 1, FLAGS: 2 } as const;

// The "netdev" generic netlink family (include/uapi/linux/netdev.h, Linux 7.1+ for leasing)
export const NETDEV_FAMILY_NAME = "netdev";
export const NETDEV_FAMILY_VERSION = 1;
export const NETDEV_CMD = { QUEUE_GET: 10, NAPI_GET: 11, NAPI_SET: 14, QUEUE_CREATE: 16 } as const;
export const NETDEV_QUEUE_TYPE = { RX: 0, TX: 1 } as const;
export const NETDEV_A_QUEUE = { ID: 1, IFINDEX: 2, TYPE: 3, NAPI_ID: 4, DMABUF: 5, IO_URING: 6, XSK: 7, LEASE: 8 } as const;
export const NETDEV_A_LEASE = { IFINDEX: 1, QUEUE: 2, NETNS_ID: 3 } as const;
export const NETDEV_A_NAPI = { IFINDEX: 1, ID: 2, IRQ: 3, PID: 4, DEFER_HARD_IRQS: 5, GRO_FLUSH_TIMEOUT: 6, IRQ_SUSPEND_TIMEOUT: 7, THREADED: 8 } as const;

/** IFLA_NETKIT_* (IFLA_INFO_DATA of kind "netkit"). */
export const IFLA_NETKIT = {
  PEER_INFO: 1,
  PRIMARY: 2,
  POLICY: 3,
  PEER_POLICY: 4,
  MODE: 5,
  SCRUB: 6,
  PEER_SCRUB: 7,
  HEADROOM: 8,
  TAILROOM: 9,
  PAIRING: 10,
} as const;

/** The size of struct ifinfomsg, which also opens IFLA_NETKIT_PEER_INFO. */
export const IFINFOMSG_LEN = 16;
export const NLMSGHDR_LEN = 16;
