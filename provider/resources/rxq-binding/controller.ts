// CRUD of RxqBinding: one lease as a resource of its own, whose lifecycle follows its device's.
// Leasing is probed (the netdev family's op list), never assumed.
//
// The kernel has no op that releases one lease: a lease ends when its netkit device is
// unregistered. So what a preview shows is what up does: create makes the lease or adopts
// the identical one the device holds already; delete never fails: a lease already gone is
// nothing to do, and one still held stays with its device (said in a warning) while the
// binding leaves the stack. Leases that must end with a change are declared on the device
// (NetkitSingle.leases, NetkitPair.peerLeases), where a change replaces the device.
import type * as pulumi from "@pulumi/pulumi";
import { NetkitError, type CapabilityError } from "../../errors";
import { missingFeature } from "../../features";
import { inputKeys, type InputsOf, type OutputsOf } from "../../definition/resource";
import type { HostClient } from "../../host/client";
import { defined, observedInputs, withDeclared } from "../declared";
import { deviceId, importHost, parseDeviceId } from "../ids";
import { hostFor, providerLog } from "../hosts";
import { missingFeatureFor } from "../kernel-needs";
import { requireSameHost } from "../host-identity";
import { netnsPath } from "../fields";
import { createLease, findLease, forgetLease, readLease, recordLeases } from "../leases/host";
import { ownerOf } from "../leases/claims";
import { describe, replaceDevice, where, type Lease, type LeaseTarget } from "../leases/rules";
import { rxqBindingDefinition as spec } from "./definition";
import { definitionDriven, type Controller } from "../definition-driven";
import { previewPlan } from "./preview";

type Inputs = InputsOf<typeof spec>;
type Outputs = OutputsOf<typeof spec>;

function target(i: Inputs): LeaseTarget {
  return defined({ deviceName: i.deviceName, netns: i.netns ? netnsPath(i.netns) : undefined, deviceIfindex: i.deviceIfindex, nic: i.nic, nicQueue: i.nicQueue });
}

function outputs(i: Inputs, l: Lease): Outputs {
  return defined({
    ...i,
    deviceIfindex: l.deviceIfindex,
    queueId: l.queueId,
    nicIfindex: l.nicIfindex,
    deviceNetnsId: l.deviceNetnsId,
    hostNetnsId: l.hostNetnsId,
  });
}

function leaseOf(o: Outputs): Lease {
  return defined({ queueId: o.queueId, deviceIfindex: o.deviceIfindex!, nicIfindex: o.nicIfindex, deviceNetnsId: o.deviceNetnsId, hostNetnsId: o.hostNetnsId });
}

/** The netdev family id, or why leasing is impossible on this host. */
async function leasing(host: HostClient): Promise<{ familyId: number } | { missing: CapabilityError }> {
  const f = await host.facts();
  const missing = missingFeatureFor(spec, {}, f);
  if (missing || f.netdevFamilyId === undefined) return { missing: missing ?? missingFeature(f.host, f.kernelRelease, "queueLease", spec.name) };
  return { familyId: f.netdevFamilyId };
}

/**
 * What deleting a binding whose lease is still held means: the binding leaves the stack, the
 * lease stays with its device (the kernel has no operation that releases one lease).
 */
function keptLease(t: LeaseTarget, l: Lease): string {
  return (
    `${describe(t)} (its queue ${l.queueId} there) stays until ${where(t)} is deleted or replaced: the kernel has no operation that releases ` +
    `one lease. The binding no longer manages it; to end it now, ${replaceDevice(where(t))}. Declare leases on the device (leases, peerLeases) to have them end with a change`
  );
}

/** "HOST:PORT/[NETNS/]DEVICE/rxq-NIC-QUEUE", the id create gives: what an import names. */
function parseBindingId(id: string): { device: string; nic: string; nicQueue: number } {
  const m = /^(.*)\/rxq-(.+)-(\d+)$/.exec(id);
  if (!m) throw new NetkitError(`import id "${id}": expected HOST:PORT/[NETNS/]DEVICE/rxq-NIC-QUEUE, e.g. 10.0.0.5:22/pod1/nk-xsk/rxq-eth1-3`);
  return { device: m[1]!, nic: m[2]!, nicQueue: Number(m[3]) };
}

/** `pulumi import` of a lease the kernel holds: the binding a program must declare for it. */
async function adopt(id: string): Promise<pulumi.dynamic.ReadResult<Outputs>> {
  const { device, nic, nicQueue } = parseBindingId(id);
  const { name, netns } = parseDeviceId(device);
  const host = await importHost(device);
  const l = await leasing(host);
  if ("missing" in l) throw l.missing;
  const seed = { deviceName: name, ...(netns ? { netns } : {}), nic, nicQueue } as Inputs;
  const lease = await findLease(host, l.familyId, target(seed));
  // Said here: the engine would report a missing resource as a provider that cannot import.
  if (!lease) throw new NetkitError(`import id "${id}": ${host.host}: ${describe(target(seed))} does not exist (queue-get does not show it): nothing to import`);
  const seen = outputs(seed, lease);
  const outs = withDeclared(inputKeys(spec), seen, seen);
  return { id, props: outs, inputs: observedInputs(inputKeys(spec), outs) };
}

const base = definitionDriven(spec, previewPlan, (i) => [{ nic: i.nic, queue: i.nicQueue, field: "nicQueue" }]);

export const rxqBindingProvider: Controller<Inputs, Outputs> = {
  ...base,

  async create(i) {
    const host = await hostFor(i.connection);
    const l = await leasing(host);
    if ("missing" in l) throw l.missing;
    const owner = ownerOf(i);
    const lease = await createLease(host, l.familyId, target(i), owner && { ...owner, field: "nicQueue" });
    if (owner) await recordLeases(host, owner, [{ lease, nicQueue: i.nicQueue, field: "nicQueue" }]);
    return { id: `${deviceId(i.connection, i.deviceName, i.netns)}/rxq-${i.nic}-${i.nicQueue}`, outs: withDeclared(inputKeys(spec), i, outputs(i, lease)) };
  },

  async read(id, props) {
    if (!props?.deviceName) return adopt(id);
    requireSameHost(spec.name, id, props.connection);
    const host = await hostFor(props.connection);
    const l = await leasing(host);
    // Without the op no lease can exist on this kernel.
    const st = "missing" in l ? { present: false as const, why: l.missing.message } : await readLease(host, l.familyId, target(props), leaseOf(props), true);
    if (!st.present) {
      providerLog.info(`${id}: lease gone: ${st.why}`);
      return { id: "", props: {} as Outputs };
    }
    if (st.warning) providerLog.warn(`${id}: ${st.warning}`);
    else if (st.note) providerLog.debug(`${id}: ${st.note}`);
    const outs = withDeclared(inputKeys(spec), props, outputs(props, st.lease));
    return { id, props: outs, inputs: observedInputs(inputKeys(spec), outs) };
  },

  /** Only the connection's credentials can change in place: re-read with them. */
  async update(id, olds, news) {
    requireSameHost(spec.name, id, news.connection);
    const host = await hostFor(news.connection);
    const l = await leasing(host);
    if ("missing" in l) throw l.missing;
    const st = await readLease(host, l.familyId, target(news), leaseOf(olds));
    if (!st.present) throw new NetkitError(`${host.host}: ${describe(target(news))} is gone (${st.why}): run \`pulumi refresh\`, then \`pulumi up\` re-creates it`);
    return { outs: withDeclared(inputKeys(spec), news, outputs(news, st.lease)) };
  },

  async delete(id, props) {
    requireSameHost(spec.name, id, props.connection);
    const host = await hostFor(props.connection);
    const l = await leasing(host);
    const t = target(props);
    const st = "missing" in l ? { present: false as const, why: l.missing.message } : await readLease(host, l.familyId, t, leaseOf(props));
    if (!st.present) {
      providerLog.info(`${id}: nothing to release: ${st.why}`);
      return;
    }
    providerLog.warn(`${id}: ${keptLease(t, st.lease)}`);
    // The binding lets go: another stack may adopt the lease now.
    const owner = ownerOf(props);
    if (owner) await forgetLease(host, owner, st.lease, props.nicQueue);
  },
};
