// RX queue lease operations on one host, over the relay. The netns sequence
// (docs/guides/queue-leasing.md): queue-create resolves the netkit ifindex in the requesting socket's netns and
// the NIC's ifindex in the netns that LEASE.NETNS_ID names *as seen from that netns*. A device
// already inside a pod's netns therefore leases from a socket in the pod's netns, passing the
// nsid under which the pod's netns knows the host's. If the pod's netns has none, one is
// assigned first (RTM_NEWNSID, like `ip netns set`): the lowest free id, the kernel's own
// choice for `auto`. Nothing is moved between namespaces and no device goes down.
//
// Two round trips per create: a survey (links, netns ids, a queue-get dump) that finds
// refusals early, then [assign nsid,] queue-create and a queue-get read-back.
import { isAmbiguous } from "../../ssh/ambiguous";
import { NetkitError, ProviderBugError } from "../../errors";
import type { HostFacts } from "../../host/preflight";
import type { DeleteOutcome, OwnedDevice } from "../../host/netkit";
import { RelayBatch, type BatchResults } from "../../host/batch";
import type { HostClient } from "../../host/client";
import { locate, locationKey } from "../../host/locate";
import { DeleteHeldUp, deleteNetkit } from "../../host/netkit-ops";
import { inUseBy } from "../../host/nic";
import type { RelayResult } from "../../host/relay";
import { NETLINK_GENERIC, NSID_NOT_ASSIGNED } from "../../netlink/constants";
import { getLinkRequest } from "../../netlink/link";
import { linkOf, NETNS_DIR } from "../../host/netkit";
import { parseQueue, parseQueueCreateReply, queueGetDumpRequest, type QueueInfo } from "../../netlink/netdev";
import { dumpNsidsRequest, getNsidRequest, isNsidMessage, parseNsid } from "../../netlink/nsid";
import { describe, holderKey, leaseHint, replaceDevice, leaseState, precheck, where, type HolderName, type Lease, type LeaseState, type LeaseTarget, type Survey } from "./rules";
import type { DeclaredLease } from "../fields";
import { adoptionRefused, type Owner } from "./claims";
import { DEVICE_NS_FD, HOST_NS, HOST_NS_FD, inDevice, namespaceSteps, planLeaseCreate, queueDump } from "./plans";
import { dropOwnerOp, liveOwner, recordOwners } from "../../host/lease-owners";
import { providerLog } from "../hosts";

const ENOENT = 2;
const EEXIST = 17;
const ENODEV = 19;
/** Surveys a create may take when its nsid assignment loses a race (each loss means an nsid was assigned meanwhile). */
const NSID_ATTEMPTS = 3;

/** The error for op i: host, operation, errno, the kernel's extack and what to do (for the lessee `device`, if surveyed). */
function failure(host: HostClient, res: BatchResults, i: number, device?: Survey["device"]): NetkitError {
  return host.failure(res, i, (e, x) => leaseHint(e, x, device));
}

function messages(r: RelayResult | undefined) {
  return r?.kind === "netlink" && r.status.errno === 0 ? r.messages : [];
}

function nsidOf(r: RelayResult | undefined): number | undefined {
  const m = messages(r).find(isNsidMessage);
  const id = m ? parseNsid(m) : undefined;
  return id === undefined || id === NSID_NOT_ASSIGNED ? undefined : id;
}

function queuesOf(r: RelayResult | undefined): QueueInfo[] {
  return messages(r).map(parseQueue);
}

/** Opens the two netns fds that RTM_*NSID requests name; the index of the device's netns (-1: the host's). */
function openNamespaces(b: RelayBatch, t: LeaseTarget): number {
  const steps = namespaceSteps(t);
  return b.addSteps(steps)(steps.length - 1);
}

interface Surveyed {
  survey: Survey;
  /** nsids the device's netns has assigned (create only). */
  usedNsids: number[];
  release: string;
}

/**
 * One batch: both links, a queue-get dump of every device that is up in the host's netns
 * (lessees of this NIC and of others: enough to find every early refusal), then both nsids.
 * The nsids are read after the dump because filling LEASE.NETNS_ID may assign one.
 */
async function survey(host: HostClient, familyId: number, t: LeaseTarget, forCreate: boolean, refresh = false): Promise<Surveyed> {
  // A refresh's reads share one snapshot per host (queues dumped once, not per lease).
  const view = refresh ? await host.leaseViewForRefresh(familyId, t) : undefined;
  // A NIC the snapshot does not find in the host's netns may have moved with its leases: the
  // direct survey looks for it in the named netns (nicElsewhere).
  if (view && (view.nic || view.netnsMissing || !view.device)) return { survey: view, usedNsids: [], release: "" };
  // Only a create's survey leads to a change; a read's is no writer (no lock, no journal).
  const b = new RelayBatch({ readOnly: !forCreate });
  const ns = openNamespaces(b, t);
  const nic = b.add(`read NIC ${t.nic}`, { op: "netlink", message: getLinkRequest(t.nic) });
  const dev = b.add(`read ${where(t)}`, inDevice(t, getLinkRequest(t.deviceName)));
  const dump = b.add("dump queues (queue-get)", queueDump(familyId));
  const devNs = t.netns ? b.add(`read the nsid of netns ${t.netns} in the host's netns`, { op: "netlink", message: getNsidRequest(DEVICE_NS_FD) }) : -1;
  const hostNs = t.netns ? b.add(`read the nsid of the host's netns in netns ${t.netns}`, inDevice(t, getNsidRequest(HOST_NS_FD))) : -1;
  const used = t.netns && forCreate ? b.add(`list the nsids of netns ${t.netns}`, inDevice(t, dumpNsidsRequest(), { dump: true })) : -1;
  const res = await host.run(b, false);

  // A missing netns or device is an answer, not a failure: the ops that needed them fail too.
  const netnsMissing = ns >= 0 && res.errno(ns) === ENOENT;
  const needNetns = [ns, dev, devNs, hostNs, used];
  const tolerated = (i: number) => (netnsMissing && needNetns.includes(i)) || ((i === nic || i === dev) && res.errno(i) === ENODEV);
  for (let i = 0; i < res.results.length; i++) if ((res.errno(i) ?? 0) !== 0 && !tolerated(i)) throw failure(host, res, i, linkOf(res.at(dev)));

  const s: Survey = { netnsMissing, queues: queuesOf(res.at(dump)) };
  const device = linkOf(res.at(dev));
  if (device) s.device = device;
  const nicLink = linkOf(res.at(nic));
  if (nicLink) s.nic = nicLink;
  const d = nsidOf(res.at(devNs));
  if (d !== undefined) s.deviceNetnsId = d;
  const h = nsidOf(res.at(hostNs));
  if (h !== undefined) s.hostNetnsId = h;
  const usedNsids = messages(res.at(used))
    .filter(isNsidMessage)
    .map(parseNsid)
    .filter((x): x is number => x !== undefined);
  // A NIC moved to another netns keeps its leases: a read looks for it there (never a create,
  // which needs the NIC in the host's netns).
  if (!s.nic && !netnsMissing && s.device && !forCreate) await nicElsewhere(host, familyId, t, s);
  return { survey: s, usedNsids, release: res.release };
}

/**
 * The NIC by name in the named netns (/run/netns), with its queues and the device's netns as
 * that netns knows it (what queue-get reports there), into `s`. Two round trips, only when the
 * NIC is not in the host's netns.
 */
async function nicElsewhere(host: HostClient, familyId: number, t: LeaseTarget, s: Survey): Promise<void> {
  const list = new RelayBatch({ readOnly: true });
  const l = list.add(`list ${NETNS_DIR}`, { op: "listdir", path: NETNS_DIR });
  const listed = (await host.run(list, false)).at(l);
  const names = listed?.kind === "names" ? listed.names : [];
  if (!names.length) return;
  const b = new RelayBatch({ readOnly: true });
  // The device's netns (or the host's) as an fd, for RTM_GETNSID from each candidate.
  b.add(`open ${t.netns ? `netns ${t.netns}` : "the host's netns"}`, { op: "openNetns", path: t.netns ?? HOST_NS, fd: DEVICE_NS_FD });
  const probes = names.map((n) => {
    const path = `${NETNS_DIR}/${n}`;
    return {
      name: n,
      link: b.add(`read NIC ${t.nic} in ${path}`, { op: "netlink", message: getLinkRequest(t.nic), netns: path }),
      dump: b.add(`dump queues (queue-get) in ${path}`, { op: "netlink", message: queueGetDumpRequest(familyId), proto: NETLINK_GENERIC, dump: true, netns: path }),
      // After the dump, which may assign it.
      nsid: b.add(`read the nsid of the device's netns in ${path}`, { op: "netlink", message: getNsidRequest(DEVICE_NS_FD), netns: path }),
    };
  });
  const res = await host.run(b, false);
  for (const p of probes) {
    const nic = linkOf(res.at(p.link));
    // Only a physical NIC lends queues: a pod's own device of that name is not it.
    if (!nic?.parentDevice || nic.kind === "netkit") continue;
    s.nic = nic;
    s.nicNetns = p.name;
    s.queues = queuesOf(res.at(p.dump));
    const d = nsidOf(res.at(p.nsid));
    if (d !== undefined) s.deviceNetnsId = d;
    else delete s.deviceNetnsId;
    return;
  }
}

/**
 * The holders of the NIC's leased queues by device and netns name, for a refusal that names
 * them (two round trips: only then).
 */
async function nameHolders(host: HostClient, s: Survey): Promise<Map<string, HolderName>> {
  const leases = s.queues.filter((q) => q.ifindex === s.nic?.ifindex && q.lease).map((q) => q.lease!);
  const found = await locate(
    host,
    leases.map((l) => ({ ifindex: l.ifindex, ...(l.netnsId !== undefined ? { nsid: l.netnsId } : {}) })),
  );
  const out = new Map<string, HolderName>();
  for (const l of leases) {
    const at = found.get(locationKey({ ifindex: l.ifindex, ...(l.netnsId !== undefined ? { nsid: l.netnsId } : {}) }));
    out.set(holderKey(l), { ...(at?.link ? { name: at.link.name } : {}), ...(at?.netnsName ? { netnsName: at.netnsName } : {}) });
  }
  return out;
}

/** The resource a lease is made for (claims.ts), and the field that declares it. */
export type LeaseOwner = Owner & { field: string };

/**
 * Leases one NIC RX queue to the netkit device; the kernel's refusals become errors with
 * hints. A lease the device already holds is that lease: it is adopted, not refused, unless
 * another resource of the stack declares it or another stack's resource holds it (`owner`:
 * whom the lease is for; without one it is adopted as it is). The caller records the holder.
 */
export async function createLease(host: HostClient, familyId: number, t: LeaseTarget, owner?: LeaseOwner, attempt = 1): Promise<Lease> {
  const { survey: s, usedNsids } = await survey(host, familyId, t, true);
  const held = heldAlready(t, s);
  if (held) {
    if (owner) await mayAdopt(host, t, s.nic!.ifindex, held, owner);
    return held;
  }
  let refused = precheck(t, s);
  // A queue another device holds is refused by that device's and netns's names.
  if (refused && s.nic?.up && s.queues.some((q) => q.ifindex === s.nic!.ifindex && q.id === t.nicQueue && q.type === "rx" && q.lease)) {
    s.holders = await nameHolders(host, s).catch(() => undefined);
    refused = precheck(t, s);
  }
  if (refused) throw new NetkitError(`${host.host}: cannot create ${describe(t)}: ${refused}`);
  const device = s.device!;
  const nic = s.nic!;

  const plan = planLeaseCreate(familyId, t, { ...s, device, nic }, usedNsids);
  const b = new RelayBatch();
  const at = b.addSteps(plan.steps);
  const [assign, create, dump, devNs] = [at(plan.assign), at(plan.create), at(plan.dump), at(plan.deviceNetns)];
  const hostNetnsId = plan.hostNetnsId;

  let res: BatchResults;
  try {
    res = await host.run(b);
  } catch (err) {
    if (!isAmbiguous(err)) throw err;
    return afterAmbiguousCreate(host, familyId, t, { deviceIfindex: device.ifindex, nicIfindex: nic.ifindex }, err);
  }
  // The kernel gave the host's netns an nsid there since the survey (another device's create
  // in that netns fills in its link's nsid), a parallel lease did, or one took the id: EEXIST,
  // and nothing ran after it. Survey again and use the nsid that exists now (or the next free id).
  if (assign >= 0 && res.errno(assign) === EEXIST && attempt < NSID_ATTEMPTS) return createLease(host, familyId, t, owner, attempt + 1);
  if (res.errno(create) !== 0) throw failure(host, res, res.firstFailed(), device);
  // The lease exists from here on: no op can take it back, so report it even if the read-back failed.
  const made: Lease = { queueId: parseQueueCreateReply(messages(res.at(create))[0]!), deviceIfindex: device.ifindex, nicIfindex: nic.ifindex };
  if (hostNetnsId !== undefined) made.hostNetnsId = hostNetnsId;
  if (res.errno(dump) !== 0) return made;
  const back: Survey = { ...s, queues: queuesOf(res.at(dump)) };
  const devNsid = nsidOf(res.at(devNs));
  if (devNsid !== undefined) back.deviceNetnsId = devNsid;
  const st = leaseState(t, back, made);
  if (!st.present) throw new NetkitError(`${host.host}: the kernel accepted ${describe(t)} as queue ${made.queueId}, but queue-get does not show it: ${st.why}`);
  return { ...st.lease, queueId: made.queueId };
}

/** Refuses to adopt a lease that another resource of the stack declares, or another stack's resource holds. */
async function mayAdopt(host: HostClient, t: LeaseTarget, nicIfindex: number, held: Lease, owner: LeaseOwner): Promise<void> {
  const recorded = await liveOwner(host, nicIfindex, t.nicQueue, { ifindex: held.deviceIfindex, netnsId: held.deviceNetnsId });
  const refused = adoptionRefused(owner, t.nic, t.nicQueue, nicIfindex, recorded);
  if (refused) throw new NetkitError(`${host.host}: ${refused.message}`);
}

/**
 * Records on the host that `owner` holds these leases (host/lease-owners.ts), so that another
 * stack does not adopt them. The leases exist whatever happens here: a failure is a warning.
 */
export async function recordLeases(host: HostClient, owner: Owner, made: Array<{ lease: Lease; nicQueue: number; field: string }>): Promise<void> {
  const why = await recordOwners(
    host,
    made.map((m) => ({
      nicIfindex: m.lease.nicIfindex,
      queue: m.nicQueue,
      record: { urn: owner.urn, field: m.field, device: m.lease.deviceIfindex, ...(m.lease.deviceNetnsId !== undefined ? { nsid: m.lease.deviceNetnsId } : {}) },
    })),
  ).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
  if (why) providerLog.warn(`${host.host}: the lease was made, but recording who holds it failed (another stack could then adopt it): ${why}`);
}

/** Drops the host's record of a lease that `owner` held, if it names it (a binding leaving the stack). */
export async function forgetLease(host: HostClient, owner: Owner, lease: Lease, nicQueue: number): Promise<void> {
  const b = new RelayBatch();
  b.add(`forget ${owner.urn} as the holder of NIC ifindex ${lease.nicIfindex} RX queue ${nicQueue}`, dropOwnerOp(lease.nicIfindex, nicQueue, owner.urn));
  const err = host.firstFailure(await host.run(b, false));
  if (err) providerLog.warn(`${host.host}: the host's record of who holds the lease stays: ${err.message}`);
}

/** The lease the device holds on the NIC queue, when queue-get shows it (the NIC is up). */
function heldAlready(t: LeaseTarget, s: Survey): Lease | undefined {
  if (!s.device || !s.nic?.up) return undefined;
  if (t.deviceIfindex !== undefined && s.device.ifindex !== t.deviceIfindex) return undefined;
  const q = s.queues.find((x) => x.ifindex === s.nic!.ifindex && x.type === "rx" && x.id === t.nicQueue);
  if (!q?.lease || q.lease.ifindex !== s.device.ifindex || q.lease.netnsId !== s.deviceNetnsId) return undefined;
  const st = leaseState(t, s, { queueId: q.lease.queueId, deviceIfindex: s.device.ifindex, nicIfindex: s.nic.ifindex });
  return st.present ? st.lease : undefined;
}

/** The connection dropped after queue-create was sent: look whether the lease exists now. */
async function afterAmbiguousCreate(host: HostClient, familyId: number, t: LeaseTarget, ids: { deviceIfindex: number; nicIfindex: number }, cause: unknown): Promise<Lease> {
  const { survey: s } = await survey(host, familyId, t, false);
  const q = s.nic?.up ? s.queues.find((x) => x.ifindex === ids.nicIfindex && x.type === "rx" && x.id === t.nicQueue) : undefined;
  if (s.nic && !s.nic.up)
    throw new NetkitError(
      `${host.host}: the connection dropped while creating ${describe(t)}, and with ${t.nic} down queue-get cannot show whether the lease was made: bring ${t.nic} up and re-run (a lease made meanwhile is then adopted; only the device's end releases it: ${replaceDevice(where(t))})`,
      { cause },
    );
  if (q?.lease && q.lease.ifindex === ids.deviceIfindex && q.lease.netnsId === s.deviceNetnsId) {
    const st = leaseState(t, s, { ...ids, queueId: q.lease.queueId });
    if (st.present) return st.lease;
  }
  throw new NetkitError(`${host.host}: the connection dropped while creating ${describe(t)}; no lease was made, re-run to create it`, { cause });
}

/** The lease the device holds on the NIC queue now, if queue-get shows it (for an import). */
export async function findLease(host: HostClient, familyId: number, t: LeaseTarget): Promise<Lease | undefined> {
  return heldAlready(t, (await survey(host, familyId, t, false)).survey);
}

/** The recorded lease as the kernel has it now (or why it is gone); `refresh`: from the host's snapshot. */
export async function readLease(host: HostClient, familyId: number, t: LeaseTarget, was: Lease, refresh = false): Promise<LeaseState> {
  const { survey: s } = await survey(host, familyId, t, false, refresh);
  return leaseState(t, s, was);
}

/** A netkit device that takes leases, as the state recorded it. */
export interface LeasingDevice {
  name: string;
  netns?: string;
  ifindex: number;
}

/** A device's declared leases as the kernel reports them: those still held, and their queues on the device. */
export interface DeclaredLeases {
  leases: DeclaredLease[];
  queueIds: number[];
}

const targetOf = (d: LeasingDevice, l: DeclaredLease): LeaseTarget => ({
  deviceName: d.name,
  ...(d.netns ? { netns: d.netns } : {}),
  deviceIfindex: d.ifindex,
  nic: l.nic,
  nicQueue: l.queue,
});

/**
 * The leases a device declares, made in their order, each as a binding makes one (so the
 * device gets queues 1, 2, …). One at a time: they share the device and its netns's nsid.
 */
export async function leaseAll(host: HostClient, familyId: number, d: LeasingDevice, leases: DeclaredLease[], owner?: Owner & { field: string }): Promise<number[]> {
  const made: Array<{ lease: Lease; nicQueue: number; field: string }> = [];
  for (const [i, l] of leases.entries()) {
    const field = `${owner?.field ?? "leases"}[${i}].queue`;
    made.push({ lease: await createLease(host, familyId, targetOf(d, l), owner && { ...owner, field }), nicQueue: l.queue, field });
  }
  if (owner) await recordLeases(host, owner, made);
  return made.map((m) => m.lease.queueId);
}

/**
 * Which of a device's declared leases the kernel still reports (one survey: they all come
 * from one NIC), with their queues on the device. A lease gone while its device remains can
 * come back only with a new device: the diff then replaces it.
 */
export async function readDeclaredLeases(
  host: HostClient,
  familyId: number,
  d: LeasingDevice,
  leases: DeclaredLease[],
  queueIds: number[],
  refresh = false,
): Promise<DeclaredLeases> {
  if (!leases.length) return { leases: [], queueIds: [] };
  const { survey: s } = await survey(host, familyId, targetOf(d, leases[0]!), false, refresh);
  const out: DeclaredLeases = { leases: [], queueIds: [] };
  leases.forEach((l, i) => {
    const st = leaseState(targetOf(d, l), s, { queueId: queueIds[i] ?? 0, deviceIfindex: d.ifindex, nicIfindex: s.nic?.ifindex ?? -1 });
    if (!st.present) return;
    out.leases.push(l);
    out.queueIds.push(st.lease.queueId);
  });
  return out;
}

/**
 * A new device's declared leases. Part of its create: if one fails, the device is deleted
 * again (which ends the leases already made) before the error is reported.
 */
export async function leaseNewDevice(
  host: HostClient,
  facts: HostFacts,
  leaser: LeasingDevice,
  owner: OwnedDevice,
  leases: DeclaredLease[],
  /** The resource declaring them and its field (leases, peerLeases), to record as their holder. */
  declarer?: Owner & { field: string },
): Promise<number[]> {
  if (!leases.length) return [];
  if (facts.netdevFamilyId === undefined) throw new ProviderBugError(`${host.host}: leases to make, but the preflight found no netdev family`);
  try {
    return await leaseAll(host, facts.netdevFamilyId, leaser, leases, declarer);
  } catch (e) {
    const err = e instanceof NetkitError ? e : new NetkitError(String(e), { cause: e });
    try {
      const r = await deleteNetkit(host, owner);
      err.message += r.outcome === "deleted" ? "; the device was deleted again, and the leases it had taken with it" : "; the device was gone already";
    } catch (x) {
      err.message += `; deleting the device failed too, delete ${owner.name} by hand: ${x instanceof Error ? x.message : String(x)}`;
    }
    throw err;
  }
}

/**
 * What uses the queues leased to a device besides the lease itself (an AF_XDP socket, io_uring
 * zero-copy receive, a devmem binding), as queue-get reports it on the NIC: one read-only
 * batch, and one more to name the NIC only when something is found. Nothing when the host
 * cannot tell (no leasing, a failed read): the delete then goes on, bounded by its wait.
 */
export async function leaseConsumers(host: HostClient, d: LeasingDevice): Promise<string[]> {
  const f = await host.facts();
  if (f.netdevFamilyId === undefined || !f.has.queueLease) return [];
  const b = new RelayBatch({ readOnly: true });
  if (d.netns) b.add(`open netns ${d.netns}`, { op: "openNetns", path: d.netns, fd: DEVICE_NS_FD });
  const dump = b.add("dump queues (queue-get)", queueDump(f.netdevFamilyId));
  // After the dump, which gives the device's netns an nsid if one of its leases needs it.
  const ns = d.netns ? b.add(`read the nsid of netns ${d.netns} in the host's netns`, { op: "netlink", message: getNsidRequest(DEVICE_NS_FD) }) : -1;
  const res = await host.run(b, false);
  if (res.firstFailed() >= 0) return [];
  const nsid = d.netns ? nsidOf(res.at(ns)) : undefined;
  if (d.netns && nsid === undefined) return [];
  const held = queuesOf(res.at(dump)).filter((q) => q.type === "rx" && q.lease?.ifindex === d.ifindex && q.lease.netnsId === nsid && (q.xsk || q.memoryProvider));
  if (!held.length) return [];
  const nics = await locate(
    host,
    [...new Set(held.map((q) => q.ifindex))].map((ifindex) => ({ ifindex })),
  ).catch(() => new Map<string, { link?: { name: string } }>());
  return held.map((q) => {
    const nic = nics.get(locationKey({ ifindex: q.ifindex }))?.link?.name ?? `NIC ifindex ${q.ifindex}`;
    return `${nic} RX queue ${q.id} (its queue ${q.lease!.queueId}) is ${inUseBy(q)!}`;
  });
}

/**
 * Deletes a netkit device that may hold leases, never hanging: while something uses a leased
 * queue it is refused, naming what (deleting it would wait in the kernel for io_uring to let
 * go, or pull the queue from under a running AF_XDP socket); a delete the kernel holds up
 * anyway ends within the wait with what holds it. Either way the next run converges: the
 * device is gone once the consumer is.
 */
export async function deleteLeasingDevice(host: HostClient, owner: OwnedDevice, lessee: LeasingDevice | undefined): Promise<DeleteOutcome> {
  if (!lessee) return deleteNetkit(host, owner);
  const what = lessee.netns ? `${lessee.name} (netns ${lessee.netns})` : lessee.name;
  const held = await leaseConsumers(host, lessee);
  if (held.length)
    throw new NetkitError(
      `${host.host}: not deleting ${what}: ${held.join("; ")}. Deleting it now would wait in the kernel until io_uring lets the queue go, or pull it from under a running AF_XDP socket: ` +
        "stop that consumer (the pod's workload), then run this again",
    );
  try {
    return await deleteNetkit(host, owner, { mayBeHeld: true });
  } catch (e) {
    if (!(e instanceof DeleteHeldUp)) throw e;
    const now = await leaseConsumers(host, lessee).catch(() => []);
    e.message += now.length ? `; what holds it: ${now.join("; ")}` : "; no consumer shows on its leased queues (an io_uring ifq may still be closing)";
    e.message += ". Run this again once it is released: the device is then gone";
    throw e;
  }
}

/** A device's declared leases as the kernel holds them now (none declared: none to read), for a refresh. */
export async function leasesNow(host: HostClient, leaser: LeasingDevice, leases: DeclaredLease[] | undefined, queueIds: number[] | undefined): Promise<DeclaredLeases> {
  if (!leases?.length) return { leases: [], queueIds: [] };
  const f = await host.facts();
  // Without leasing no lease can exist on this kernel.
  if (f.netdevFamilyId === undefined || !f.has.queueLease) return { leases: [], queueIds: [] };
  return readDeclaredLeases(host, f.netdevFamilyId, leaser, leases, queueIds ?? [], true);
}
