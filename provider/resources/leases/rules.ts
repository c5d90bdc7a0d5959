// What the kernel's state says about one RX queue lease, decided without a host: the survey
// (links, queue-get dump, netns ids) goes in, a verdict comes out. Kept pure so that every
// rule is unit-tested; host.ts gathers the survey and acts on the verdict.
import type { Link } from "../../netlink/link";
import type { NetkitInfo } from "../../netlink/netkit";
import type { QueueInfo, QueueLease } from "../../netlink/netdev";
import { inUseBy } from "../../host/nic";

/** The lease the binding asks for. */
export interface LeaseTarget {
  deviceName: string;
  /** The ifindex the device must have (the SDK pins it to the device resource's). */
  deviceIfindex?: number;
  /** Netns file of the netkit device; absent: the host's netns. */
  netns?: string;
  nic: string;
  nicQueue: number;
}

/** A lease as the kernel reports it. */
export interface Lease {
  queueId: number;
  deviceIfindex: number;
  nicIfindex: number;
  /** The device's netns as an nsid of the host's netns (queue-get's LEASE NETNS_ID). */
  deviceNetnsId?: number;
  /** The host's netns as an nsid of the device's netns (what queue-create was given). */
  hostNetnsId?: number;
}

/** A lease's holder by the names the user declared: its device name and netns name (host.ts resolves them). */
export interface HolderName {
  name?: string;
  /** `ip netns` name; absent: the host's netns, or a netns without a name in /run/netns. */
  netnsName?: string;
}

/** The host as one relay batch saw it. */
export interface Survey {
  netnsMissing: boolean;
  device?: Link & { netkit?: NetkitInfo };
  nic?: Link;
  /** queue-get dump of every device that is up in the host's netns. */
  queues: QueueInfo[];
  /** RTM_GETNSID from the host for the device's netns (after the dump); undefined: none or same netns. */
  deviceNetnsId?: number;
  /** RTM_GETNSID from the device's netns for the host's; undefined: none assigned or same netns. */
  hostNetnsId?: number;
  /** The NIC's netns by `ip netns` name, when it is not in the host's (queues and deviceNetnsId are then seen from there). */
  nicNetns?: string;
  /** Holders of the NIC's leased queues by name, keyed by holderKey(). */
  holders?: Map<string, HolderName>;
}

/** A lease's holder as queue-get names it: ifindex and nsid (seen from the NIC's netns). */
export function holderKey(l: { ifindex: number; netnsId?: number }): string {
  return `${l.ifindex}@${l.netnsId ?? "-"}`;
}

export function where(t: Pick<LeaseTarget, "deviceName" | "netns">): string {
  return t.netns ? `${t.deviceName} (netns ${t.netns})` : t.deviceName;
}

/**
 * How a lease ends: with its device. A forced replacement is create-first unless the resource
 * says deleteBeforeReplace (the engine asks no provider about it), and the new device's name
 * would collide with the old one's: the TypeScript classes set it, a Pulumi YAML program must.
 */
export function replaceDevice(device: string): string {
  return `replace ${device} with \`pulumi up --replace\` and its URN (in Pulumi YAML, or through the plugin's type tokens, the device needs the resource option deleteBeforeReplace: true)`;
}

export function describe(t: LeaseTarget): string {
  return `the lease of ${t.nic} RX queue ${t.nicQueue} to ${where(t)}`;
}

const rxQueues = (s: Survey, ifindex: number) => s.queues.filter((q) => q.ifindex === ifindex && q.type === "rx");

/** The NIC queues the survey shows leased to the device (from any NIC that is up). */
function leasesOf(s: Survey, device: Link): QueueInfo[] {
  return s.queues.filter((q) => q.lease && q.lease.ifindex === device.ifindex && q.lease.netnsId === s.deviceNetnsId);
}

/**
 * "leased to nk-a in netns pod1 (ifindex 7, nsid 2) as its queue 1": a lease's holder by the
 * names the user knows (`n`; "the device" when it has none), the kernel's numbers in
 * parentheses. A holder without an nsid shares the NIC's netns: `nicNetns` names it when it is
 * not the host's.
 */
export function leasedTo(l: QueueLease, n: HolderName | undefined, nicNetns?: string): string {
  const ids = `ifindex ${l.ifindex}${l.netnsId !== undefined ? `, nsid ${l.netnsId}` : ""}`;
  const ns = l.netnsId === undefined ? (nicNetns ? `netns ${nicNetns}` : "the host's netns") : n?.netnsName ? `netns ${n.netnsName}` : "a netns without a name in /run/netns";
  return `leased to ${n?.name ?? "the device"} in ${ns} (${ids}) as its queue ${l.queueId}`;
}

function holder(q: QueueInfo, s: Survey): string {
  const l = q.lease!;
  const mine = s.device && l.ifindex === s.device.ifindex && l.netnsId === s.deviceNetnsId;
  if (mine)
    return `already leased to this very device as its queue ${l.queueId} (another RxqBinding, or an earlier run, made that lease; to end it, ${replaceDevice("the device")})`;
  return `already ${leasedTo(l, s.holders?.get(holderKey(l)), s.nicNetns)}`;
}

/**
 * The field that sizes a device's RX queues, on the resource that declares it: a single device
 * is a NetkitSingle (numRxQueues), a pair's peer (the side that leases) a NetkitPair (peerNumRxQueues).
 */
export function capacityField(d: Survey["device"]): { field: string; resource: string } {
  if (d?.netkit && d.netkit.pairing !== "single" && !d.netkit.primary) return { field: "peerNumRxQueues", resource: "NetkitPair" };
  return { field: "numRxQueues", resource: "NetkitSingle" };
}

/**
 * Refusals the kernel would give, found before anything changes, with what to do instead.
 * What the survey cannot see (queues of a NIC that is down) is left to the kernel's own check.
 */
export function precheck(t: LeaseTarget, s: Survey): string | undefined {
  if (s.netnsMissing) return `netns ${t.netns} does not exist`;
  const d = s.device;
  if (!d) return `${where(t)} does not exist: create the netkit device first`;
  if (t.deviceIfindex !== undefined && d.ifindex !== t.deviceIfindex)
    return `${where(t)} has ifindex ${d.ifindex}, not ${t.deviceIfindex}: it is not the device this binding was declared for`;
  if (d.kind !== "netkit")
    return `${where(t)} is ${d.kind ? `a ${d.kind} device` : "not a virtual device"}, not netkit: leases go to a netkit single device or a netkit pair's peer`;
  if (d.netkit?.primary && d.netkit.pairing !== "single")
    return `${where(t)} is the primary of a netkit pair: the kernel leases queues only to the peer (the pod side); bind the pair's peer instead`;
  const capacity = d.numRxQueues ?? 1;
  const { field, resource } = capacityField(d);
  if (capacity <= 1)
    return `${where(t)} has no spare RX queue: its capacity (${resource} ${field}) is ${capacity}, its own queue 0; set ${field} = 1 + the number of leases (a change that replaces the device)`;
  const nic = s.nic;
  if (!nic) return `NIC ${t.nic} does not exist in the host's network namespace`;
  if (nic.kind === "netkit" || !nic.parentDevice)
    return `${t.nic} is a virtual device${nic.kind ? ` (${nic.kind})` : ""}: only a physical NIC (one with a bus device, and a driver with queue management) can lend RX queues`;
  if (nic.up) {
    const rx = rxQueues(s, nic.ifindex);
    if (rx.length && t.nicQueue >= rx.length)
      return `${t.nic} has ${rx.length} RX queues (0 … ${rx.length - 1}): queue ${t.nicQueue} is out of range (ethtool -L ${t.nic} combined N changes the count)`;
    const q = rx.find((x) => x.id === t.nicQueue);
    if (q?.lease) return `${t.nic} RX queue ${t.nicQueue} is ${holder(q, s)}`;
    const used = q && inUseBy(q);
    if (used) return `${t.nic} RX queue ${t.nicQueue} is ${used}`;
  }
  const held = leasesOf(s, d);
  const other = held.find((q) => q.ifindex !== nic.ifindex);
  if (other) return `${where(t)} already holds a lease from another NIC (ifindex ${other.ifindex}): the kernel takes all leases of one device from one NIC`;
  if (1 + held.length >= capacity)
    return `${where(t)} has no spare RX queue: capacity (${resource} ${field}) ${capacity} = its own queue 0 + ${held.length} leased; set ${field} ≥ ${held.length + 2} (a change that replaces the device)`;
  return undefined;
}

/** note: for the debug log; warning: what the user should know (where the NIC is now). */
export type LeaseState = { present: true; lease: Lease; note?: string; warning?: string } | { present: false; why: string };

/**
 * Whether the lease a binding recorded still exists. A lease ends only when its netkit device
 * is unregistered (deleted, its netns destroyed, or the NIC removed, which makes the kernel
 * delete the netkit devices holding its leases), so the same device and NIC (same ifindexes)
 * imply the same lease even where queue-get cannot show it (a NIC that is down).
 */
export function leaseState(t: LeaseTarget, s: Survey, was: Lease): LeaseState {
  const gone = (why: string): LeaseState => ({ present: false, why });
  if (s.netnsMissing) return gone(`netns ${t.netns} no longer exists; its devices and their leases went with it`);
  const d = s.device;
  if (!d) return gone(`${where(t)} no longer exists; its leases ended with it`);
  if (d.ifindex !== was.deviceIfindex) return gone(`${where(t)} was re-created (ifindex ${was.deviceIfindex} → ${d.ifindex}); leases end with the device that held them`);
  const nic = s.nic;
  if (!nic) return gone(`NIC ${t.nic} no longer exists`);
  if (nic.ifindex !== was.nicIfindex) return gone(`NIC ${t.nic} was re-created (ifindex ${was.nicIfindex} → ${nic.ifindex})`);
  // A NIC moved to another netns keeps its leases; a new lease of it needs it back in the host's.
  const away = s.nicNetns
    ? `${t.nic} is in netns ${s.nicNetns} now, not in the host's; the kernel keeps its leases there, so the binding keeps this one (move ${t.nic} back to the host's netns before leasing more of its queues)`
    : undefined;
  if (!nic.up) {
    const note = `${t.nic} is down, so queue-get does not list its queues; device and NIC are unchanged, so the lease holds`;
    return { present: true, lease: { ...was }, note, ...(away ? { warning: `${away}; ${note}` } : {}) };
  }
  const q = rxQueues(s, nic.ifindex).find((x) => x.id === t.nicQueue);
  if (!q?.lease) return gone(`${t.nic} RX queue ${t.nicQueue} is no longer leased`);
  if (q.lease.ifindex !== d.ifindex || q.lease.netnsId !== s.deviceNetnsId) return gone(`${t.nic} RX queue ${t.nicQueue} is now ${holder(q, s)}`);
  const lease: Lease = { queueId: q.lease.queueId, deviceIfindex: d.ifindex, nicIfindex: nic.ifindex };
  if (q.lease.netnsId !== undefined) lease.deviceNetnsId = q.lease.netnsId;
  const hostNs = s.hostNetnsId ?? was.hostNetnsId;
  if (hostNs !== undefined) lease.hostNetnsId = hostNs;
  // Seen from the NIC's netns: the device's nsid there is not the host's view (a recorded output).
  if (s.nicNetns) {
    if (was.deviceNetnsId !== undefined) lease.deviceNetnsId = was.deviceNetnsId;
    else delete lease.deviceNetnsId;
  }
  return { present: true, lease, ...(away ? { warning: `${away}; it is its queue ${q.lease.queueId}` } : {}) };
}

/** The kernel's refusals of queue-create, by extack text, each with what to do. */
const EXTACK_HINTS: Array<[RegExp, string]> = [
  [/maximum queue limit/, "the netkit device has no spare RX queue: size it with numRxQueues (NetkitSingle) or peerNumRxQueues (NetkitPair) = 1 + the number of leases"],
  [/in use due to queue leasing/, "that NIC queue is already leased to a netkit device"],
  [/in use by AF_XDP/, "an AF_XDP socket is bound to that NIC queue"],
  [/in use by memory provider/, "a memory provider (io_uring zero-copy, devmem) holds that NIC queue"],
  [/only lease against the peer/, "bind the pair's peer: a pair's primary cannot take leases"],
  [/different devices/, "all leases of one netkit device must come from the same NIC"],
  [/Lease device is a virtual device/, "the NIC must be a physical device"],
  [/does not support queue management/, "the NIC's driver cannot lend queues (no queue management ops)"],
  [/Device is not a virtual device/, "deviceName must name a netkit device, not a physical one"],
  [/does not support queue creation/, "deviceName must name a netkit device"],
];

const ERRNO_HINTS: Record<string, string> = {
  ERANGE: "the NIC has no RX queue with that index",
  EBUSY: "that NIC queue is in use",
  ENONET: "the device's netns does not know the host's netns by that nsid (it changed meanwhile): re-run",
  ENODEV: "the device or the NIC vanished meanwhile",
  EPERM: "leasing needs CAP_NET_ADMIN in the initial user namespace (root on the host, not a container's root)",
  EOPNOTSUPP: "the kernel refuses this lease",
  EEXIST: "the netns id was taken meanwhile: re-run",
};

/** `device`: the lessee as surveyed, so that a capacity refusal names the field its resource declares. */
export function leaseHint(errnoName: string, extack: string | undefined, device?: Survey["device"]): string | undefined {
  if (device && extack && /maximum queue limit/.test(extack)) {
    const { field, resource } = capacityField(device);
    return `the netkit device has no spare RX queue: set ${field} (${resource}) = 1 + the number of leases`;
  }
  const byText = extack ? EXTACK_HINTS.find(([re]) => re.test(extack))?.[1] : undefined;
  return byText ?? ERRNO_HINTS[errnoName];
}
