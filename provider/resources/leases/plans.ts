// What a lease asks of the kernel, as data: the ops that address the lessee where it is (its
// netns, the fds RTM_*NSID requests name), and the plan of a create, a pure function of the
// survey before it (leases/host.ts runs it). The netns sequence is README's "Queue leasing":
// queue-create goes from a socket in the device's netns with the nsid under which that netns
// knows the host's, assigned first (the lowest free id, as `ip netns set … auto`) if it has none.
import type { Step } from "../../host/batch";
import { FIRST_NS_FD, type RelayOp } from "../../host/relay";
import { NETLINK_GENERIC } from "../../netlink/constants";
import { queueCreateRequest, queueGetDumpRequest } from "../../netlink/netdev";
import { getNsidRequest, lowestFreeNsid, newNsidRequest } from "../../netlink/nsid";
import { describe, type LeaseTarget, type Survey } from "./rules";

/** The relay's own netns (the host's), opened as an fd for NETNSA_FD. */
export const HOST_NS = "/proc/self/ns/net";
export const HOST_NS_FD = FIRST_NS_FD;
export const DEVICE_NS_FD = FIRST_NS_FD + 1;

/** An op on a socket in the device's netns. Dumps end with NLMSG_DONE, not an ACK: say which. */
export function inDevice(t: LeaseTarget, message: Buffer, opts: { proto?: number; dump?: boolean } = {}): RelayOp {
  return { op: "netlink", message, netns: t.netns, ...opts };
}

/** A queue-get dump, in the host's netns. */
export function queueDump(familyId: number, ifindex?: number): RelayOp {
  return { op: "netlink", message: queueGetDumpRequest(familyId, ifindex), proto: NETLINK_GENERIC, dump: true };
}

/** The two netns fds that RTM_*NSID requests name (fds do not outlive one relay run); none for a device in the host's netns. */
export function namespaceSteps(t: LeaseTarget): Step[] {
  if (!t.netns) return [];
  return [
    { label: "open the host's netns", op: { op: "openNetns", path: HOST_NS, fd: HOST_NS_FD } },
    { label: `open netns ${t.netns}`, op: { op: "openNetns", path: t.netns, fd: DEVICE_NS_FD } },
  ];
}

export interface LeaseCreatePlan {
  steps: Step[];
  /** The nsid of the host's netns in the device's netns, existing or assigned here; undefined: the same netns. */
  hostNetnsId?: number;
  /** The nsid assignment (-1: none needed), the queue-create, the read-back dump and the device's netns's nsid (-1: the host's). */
  assign: number;
  create: number;
  dump: number;
  deviceNetns: number;
}

/**
 * A create after its survey `s` found the device and the NIC (and `usedNsids`, the nsids the
 * device's netns has assigned): the netns fds, the nsid assignment if the host's netns has none
 * there, queue-create from the device's netns, and the lease read back.
 */
export function planLeaseCreate(familyId: number, t: LeaseTarget, s: Survey & Required<Pick<Survey, "device" | "nic">>, usedNsids: number[]): LeaseCreatePlan {
  const steps = namespaceSteps(t);
  const add = (label: string, op: RelayOp) => steps.push({ label, op }) - 1;
  const hostNetnsId = t.netns ? (s.hostNetnsId ?? lowestFreeNsid(usedNsids)) : undefined;
  const assign =
    t.netns && s.hostNetnsId === undefined
      ? add(`give the host's netns the nsid ${hostNetnsId} in netns ${t.netns} (ip netns set)`, inDevice(t, newNsidRequest(HOST_NS_FD, hostNetnsId!)))
      : -1;
  const req = queueCreateRequest(familyId, {
    ifindex: s.device.ifindex,
    leaseIfindex: s.nic.ifindex,
    leaseQueue: t.nicQueue,
    ...(hostNetnsId !== undefined ? { netnsId: hostNetnsId } : {}),
  });
  const create = add(`create ${describe(t)} (queue-create)`, inDevice(t, req, { proto: NETLINK_GENERIC }));
  const dump = add("read the lease back (queue-get)", queueDump(familyId, s.nic.ifindex));
  const deviceNetns = t.netns ? add(`read the nsid of netns ${t.netns} in the host's netns`, { op: "netlink", message: getNsidRequest(DEVICE_NS_FD) }) : -1;
  return { steps, ...(hostNetnsId !== undefined ? { hostNetnsId } : {}), assign, create, dump, deviceNetns };
}
