// Invalid inputs for the three resources, one rule broken per row. Each row is a valid base
// (below) with a few values changed, the property check must name, a pattern for the reason,
// and a line saying what the row proves. test/lifecycle/bad-input.test.ts runs every row
// through the real engine against a test host.
import type { ConnectionInput } from "../../provider/connection";

export type ResourceName = "NetkitPair" | "NetkitSingle" | "RxqBinding" | "NicQueues" | "QueueNapi" | "FlowRule";
export type FieldGroup = "name" | "enum" | "range" | "mac/mode" | "single mode" | "netns" | "queue" | "connection" | "shape" | "nic side";

export interface BadInput {
  resource: ResourceName;
  group: FieldGroup;
  /** Changes to the base inputs, by dotted path ("connection.port"); undefined removes a key. */
  set: Record<string, unknown>;
  /** The CheckFailure property the engine must print. */
  property: string;
  reason: RegExp;
  /** What the row proves; the test title. */
  proves: string;
}

/** A value no output may contain: it stands for a password or passphrase in a bad row. */
export const SECRET = "nkbad-S3cret-must-not-be-printed";

/** Where the bases point: a pod netns and a NIC the test creates on the host. */
export const POD_NETNS = "nkbad-pod";
export const NIC = "nkbad-nic0";

/** Valid inputs of each resource; every row breaks exactly one rule of one of them. */
export function baseInputs(resource: ResourceName, connection: ConnectionInput): Record<string, unknown> {
  switch (resource) {
    case "NetkitPair":
      return { connection, name: "nkbad0", peerName: "nkbad0p", peerNetns: POD_NETNS };
    case "NetkitSingle":
      return { connection, name: "nkbads0", netns: POD_NETNS };
    case "RxqBinding":
      return { connection, deviceName: "nkbads0", netns: POD_NETNS, nic: NIC, nicQueue: 1 };
    case "NicQueues":
      return { connection, nic: NIC, rxRing: 128 };
    case "QueueNapi":
      return { connection, nic: NIC, queue: 1, deferHardIrqs: 2 };
    case "FlowRule":
      return { connection, nic: NIC, flowType: "tcp6", dstPort: 9999, queue: 1 };
  }
}

/** A copy of `base` with `set` applied (dotted paths reach into nested objects). */
export function withChanges(base: Record<string, unknown>, set: Record<string, unknown>): Record<string, unknown> {
  const out = structuredClone(base);
  for (const [path, value] of Object.entries(set)) {
    const keys = path.split(".");
    let at = out;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    const last = keys[keys.length - 1]!;
    if (value === undefined) delete at[last];
    else at[last] = value;
  }
  return out;
}

const pair = (group: FieldGroup, set: Record<string, unknown>, property: string, reason: RegExp, proves: string): BadInput => ({
  resource: "NetkitPair",
  group,
  set,
  property,
  reason,
  proves,
});
const single = (group: FieldGroup, set: Record<string, unknown>, property: string, reason: RegExp, proves: string): BadInput => ({
  resource: "NetkitSingle",
  group,
  set,
  property,
  reason,
  proves,
});
const binding = (group: FieldGroup, set: Record<string, unknown>, property: string, reason: RegExp, proves: string): BadInput => ({
  resource: "RxqBinding",
  group,
  set,
  property,
  reason,
  proves,
});

const nicSide = (resource: ResourceName, set: Record<string, unknown>, property: string, reason: RegExp, proves: string): BadInput => ({
  resource,
  group: "nic side",
  set,
  property,
  reason,
  proves,
});

const MAC = "02:00:00:00:00:01";

export const badInputs: BadInput[] = [
  // Kernel interface names (dev_valid_name, IFNAMSIZ).
  pair("name", { name: "" }, "name", /must not be empty/, "an empty name is refused (the kernel would choose one)"),
  pair("name", { name: "nkbad0123456789x" }, "name", /at most 15 bytes/, "16 bytes exceed IFNAMSIZ"),
  pair("name", { name: "ü".repeat(8) }, "name", /at most 15 bytes/, "the limit counts UTF-8 bytes, not characters (8 × ü = 16 bytes)"),
  pair("name", { name: "nk/0" }, "name", /"\/"/, 'a "/" (a sysfs path separator) is refused'),
  pair("name", { name: "nk 0" }, "name", /whitespace/, "a space is refused"),
  pair("name", { name: "nk%d" }, "name", /template/, 'a "%d" name template is refused (the kernel would rename it)'),
  pair("name", { peerName: "eth0:1" }, "peerName", /":"/, "the peer name has the same rules: no alias-style colon"),
  pair("name", { peerName: "nkbad0", peerNetns: undefined }, "peerName", /must differ from name/, "peer and primary cannot share a name in one netns"),
  single("name", { name: "x".repeat(16) }, "name", /at most 15 bytes/, "a single device's name is capped at 15 bytes too"),
  single("name", { name: "nk\u0001s" }, "name", /control characters/, "a control character in a name is refused"),
  binding("name", { deviceName: "d".repeat(16) }, "deviceName", /at most 15 bytes/, "the leasing device's name is a kernel name (≤ 15 bytes)"),
  binding("name", { nic: "eth/1" }, "nic", /"\/"/, "the NIC's name is a kernel name (no /)"),

  // Enums: the kernel's own keywords, exactly.
  pair("enum", { mode: "L2" }, "mode", /"l2"\|"l3"/, 'mode is case-sensitive: "L2" is not "l2"'),
  pair("enum", { policy: "drop" }, "policy", /"forward"\|"blackhole"/, 'policy takes forward|blackhole, not "drop"'),
  pair("enum", { peerScrub: true }, "peerScrub", /"default"\|"none"/, "peerScrub is a keyword, not a boolean"),

  // Ranges of numeric attributes.
  pair("range", { mtu: 67 }, "mtu", />=68/, "an MTU below the IPv4 minimum of 68 is refused"),
  pair("range", { peerMtu: 65536 }, "peerMtu", /<=65535/, "the peer MTU is capped at 65535"),
  pair("range", { mtu: "1500" }, "mtu", /expected number, received string/, "a numeric string is not coerced to an MTU"),
  pair("range", { peerNumRxQueues: 1025 }, "peerNumRxQueues", /<=1024/, "netkit's RX queue capacity ends at 1024"),
  pair("range", { numTxQueues: 2 }, "numTxQueues", /<=1/, "netkit has exactly one TX queue"),
  single("range", { headroom: 70000 }, "headroom", /<=65535/, "a single device's headroom is a u16"),
  pair("range", { gsoMaxSize: 320 }, "gsoMaxSize", /at least 321/, "a GSO size up to MAX_TCP_HEADER is refused (the kernel's policy minimum)"),
  pair("range", { peerGroMaxSize: 524281 }, "peerGroMaxSize", /at most 524280/, "a GRO size above GRO_MAX_SIZE is refused"),
  single("range", { gsoMaxSegs: 65536 }, "gsoMaxSegs", /at most 65535/, "GSO segments end at GSO_MAX_SEGS"),
  single("range", { alias: "x".repeat(256) }, "alias", /255 bytes/, "an alias is at most IFALIASZ - 1 bytes"),
  pair("range", { peerRpFilter: 3 }, "peerRpFilter", /<=2/, "rp_filter has three modes: 0 off, 1 strict, 2 loose"),

  // MAC addresses, which exist only in l2.
  pair("mac/mode", { macAddress: MAC }, "macAddress", /needs mode l2/, "a MAC with the default mode l3 is refused (l3 has no link-layer address)"),
  pair("mac/mode", { mode: "l2", macAddress: "02-00-00-00-00-01" }, "macAddress", /must be a MAC address/, "a MAC must use colons"),
  pair("mac/mode", { mode: "l2", macAddress: "01:00:5e:00:00:01" }, "macAddress", /unicast/, "a multicast MAC is refused"),
  pair("mac/mode", { mode: "l2", peerMacAddress: "00:00:00:00:00:00" }, "peerMacAddress", /all zeros/, "the all-zero MAC is refused"),
  single("mac/mode", { macAddress: MAC }, "macAddress", /needs mode l2/, "a single device in l3 takes no MAC"),
  single("mac/mode", { mode: "l2", macAddress: "03:00:00:00:00:01" }, "macAddress", /unicast/, "a single device's MAC must be unicast"),

  // What single mode does not have.
  single("single mode", { policy: "blackhole" }, "policy", /only forward/, "blackhole is refused without a peer (the kernel would refuse it)"),
  single("single mode", { peerName: "nkbads0p" }, "peerName", /not a field of NetkitSingle/, "a single device has no peer name"),
  single("single mode", { peerNetns: POD_NETNS }, "peerNetns", /not a field of NetkitSingle/, "a single device has no peer netns"),
  single("single mode", { scrub: "none" }, "scrub", /not a field of NetkitSingle/, "a single device has no scrub setting"),
  single("single mode", { numTxQueues: 2 }, "numTxQueues", /<=1/, "a single device has one TX queue too"),

  // Network namespace references: a name as `ip netns` uses, or an absolute path.
  pair("netns", { peerNetns: "pods/x" }, "peerNetns", /netns name/, "a relative path is refused (it would depend on the cwd)"),
  pair("netns", { peerNetns: "/run/netns/../../etc" }, "peerNetns", /without \. or \.\. components/, "an absolute path with .. is refused"),
  pair("netns", { peerNetns: "" }, "peerNetns", />=1 characters/, "an empty netns is refused rather than meaning the host's"),
  single("netns", { netns: ".." }, "netns", /netns name/, '".." is not a netns name'),
  single("netns", { netns: "pod\nx" }, "netns", /control characters/, "a newline in a netns name is refused"),
  binding("netns", { netns: "./pod" }, "netns", /netns name/, "a binding's netns follows the same rules"),
  pair("netns", { peerNetns: "/" }, "peerNetns", /must name a file/, '"/" is a directory, not a netns file (the kernel would say EINVAL)'),
  single("netns", { netns: "/proc/1/ns/net/" }, "netns", /must name a file/, "a path ending in / is refused (the kernel would say ENOTDIR)"),
  pair("netns", { peerNetns: "n".repeat(300) }, "peerNetns", /at most 255 bytes/, "a netns name longer than NAME_MAX is refused"),

  // NIC queue ids and the device index.
  binding("queue", { nicQueue: -1 }, "nicQueue", />=0/, "a negative queue id is refused"),
  binding("queue", { nicQueue: 65536 }, "nicQueue", /<=65535/, "a queue id beyond u16 is refused"),
  binding("queue", { nicQueue: 1.5 }, "nicQueue", /int/, "a fractional queue id is refused"),
  binding("queue", { nicQueue: undefined }, "nicQueue", /expected number, received undefined/, "the queue id is required"),
  binding("queue", { deviceIfindex: 0 }, "deviceIfindex", />=1/, "ifindex 0 is no device"),
  binding("queue", { netns: undefined, nic: "nkbads0" }, "nic", /must differ from deviceName/, "a device cannot lease its own queue"),

  // The SSH connection.
  pair("connection", { "connection.port": 0 }, "connection.port", />=1/, "port 0 is refused"),
  binding("connection", { "connection.port": 70000 }, "connection.port", /<=65535/, "a port beyond 65535 is refused"),
  pair("connection", { "connection.host": "" }, "connection.host", />=1 characters/, "an empty host is refused"),
  pair(
    "connection",
    { "connection.user": "", "connection.password": SECRET },
    "connection.user",
    />=1 characters/,
    "an empty user is refused; the password next to it is not printed",
  ),
  single("connection", { "connection.hostKey": "" }, "connection.hostKey", />=1 characters/, "an empty host key pin is refused rather than treated as no pin"),
  pair(
    "connection",
    { "connection.insecureSkipHostKeyCheck": true },
    "connection.insecureSkipHostKeyCheck",
    /contradicts hostKey/,
    "a pinned key and skipping the check contradict each other",
  ),
  single("connection", { "connection.sudo": { pass: SECRET } }, "connection.sudo", /Invalid input/, "a misspelt sudo password key is refused and its value not printed"),
  single("connection", { "connection.sudo": { password: "" } }, "connection.sudo.password", />=1 characters/, "an empty sudo password is refused"),
  single(
    "connection",
    { "connection.sudo": { password: SECRET, askpass: true } },
    "connection.sudo.askpass",
    /not a field/,
    "an extra key in the sudo object is refused; the password is not printed",
  ),
  single("connection", { "connection.connectTimeoutMs": 99 }, "connection.connectTimeoutMs", />=100/, "a connect timeout below 100 ms is refused"),
  binding("connection", { "connection.operationTimeoutMs": 999 }, "connection.operationTimeoutMs", />=1000/, "an operation timeout below 1 s is refused"),
  binding("connection", { "connection.dialAttempts": 0 }, "connection.dialAttempts", />=1/, "zero dial attempts is refused"),
  binding("connection", { "connection.passwd": SECRET }, "connection.passwd", /passwd: not a field/, "a misspelt connection field is refused by name, its value not printed"),
  binding("connection", { "connection.jumpHost": { host: "127.0.0.1", port: 0, password: SECRET } }, "connection.jumpHost.port", />=1/, "the jump host's port has the same range"),
  binding("connection", { "connection.jumpHost": { host: "127.0.0.1", sudo: true } }, "connection.jumpHost.sudo", /sudo: not a field/, "sudo is the target's, not the jump host's"),
  pair(
    "connection",
    { connection: `user:${SECRET}@host` },
    "connection",
    /expected object/,
    "a connection that is not an object (a secret string from config, say) is refused without printing it",
  ),
  single("connection", { "connection.hostKey": "not-a-key" }, "connection.hostKey", /known_hosts line/, "a malformed host key pin is refused before any connection"),
  binding(
    "connection",
    { "connection.jumpHost": { host: "127.0.0.1", hostKey: "SHA256:" } },
    "connection.jumpHost.hostKey",
    /known_hosts line/,
    "the jump host's pin follows the same rules",
  ),
  pair("connection", { "connection.host": "bad host" }, "connection.host", /whitespace/, "a host name with a space is refused (never sent to DNS)"),
  single("connection", { "connection.user": "a b" }, "connection.user", /whitespace/, "a user name with a space is refused (never sent to sshd)"),

  // Keys that are not inputs at all.
  pair("shape", { peerMode: "l2" }, "peerMode", /peerMode: not a field of NetkitPair/, "an unknown field is refused by name, not ignored"),
  pair("shape", { ifindex: 5 }, "ifindex", /ifindex: not a field of NetkitPair/, "an output cannot be set as an input"),
  pair("shape", { programs: [{ pin: "/tmp/prog" }] }, "programs[0].pin", /under \/sys\/fs\/bpf/, "a program pin outside bpffs is refused"),
  pair(
    "shape",
    { peerPrograms: [{ pin: "/sys/fs/bpf/p" }, { pin: "/sys/fs/bpf/p" }] },
    "peerPrograms[1].pin",
    /listed twice: the kernel runs a program once per hook/,
    "a program listed twice on one hook is refused (the kernel would say EEXIST half way)",
  ),
  binding("shape", { queueId: 1 }, "queueId", /queueId: not a field of RxqBinding/, "the leased queue id is an output, not an input"),

  // The NIC side: one rule of each resource.
  nicSide("NicQueues", { rssEqual: 2, rssWeights: [1, 1] }, "rssWeights", /give rssEqual or rssWeights, not both/, "the RSS spread is one table: equal or weights, not both"),
  nicSide("QueueNapi", { threaded: "yes" }, "threaded", /disabled|enabled|busy-poll/, "threaded NAPI is one of the kernel's modes"),
  nicSide("FlowRule", { flowType: "tcp4", dstIp: "2001:db8::5" }, "dstIp", /must be an IPv4 address for flow type tcp4/, "a rule's address is of its flow type's IP version"),
];
