// CRUD of RxqBinding. Leasing is probed (the netdev family's op list), never assumed.
//
// Deletion is honest: the kernel has no op that releases one lease; a lease ends when its
// netkit device is unregistered. So delete succeeds when the lease is already gone (the
// device, its netns or the NIC went away, or the device was re-created) and otherwise fails,
// saying how to release it. Bindings made with the SDK's `device` option are `deletedWith`
// their device: when both go in one update the engine skips this delete altogether.
import type * as pulumi from "@pulumi/pulumi";
import { NetkitError, type CapabilityError } from "../../errors";
import { missingFeature } from "../../host/features";
import { UNKNOWN } from "../../definition/check";
import { inputKeys, type InputsOf, type OutputsOf } from "../../definition/resource";
import type { HostClient } from "../../host/client";
import { defined, deviceId, hostFor, missingFeatureFor, observedInputs, providerLog, requireSameHost, withDeclared } from "../context";
import { netnsPath } from "../fields";
import { createLease, readLease } from "./host";
import { describe, where, type Lease, type LeaseTarget } from "./lease";
import { rxqBindingDefinition as spec } from "./definition";
import { definitionDriven } from "../definition-driven";

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

const hasUnknown = (v: unknown): boolean => v === UNKNOWN || (Array.isArray(v) ? v.some(hasUnknown) : !!v && typeof v === "object" && Object.values(v).some(hasUnknown));

/** Why the lease cannot be deleted on its own, and what releases it. */
function cannotRelease(host: HostClient, t: LeaseTarget, l: Lease): NetkitError {
  return new NetkitError(
    `${host.host}: cannot delete ${describe(t)} (its queue ${l.queueId} there): the kernel has no operation that releases one lease; ` +
      `it ends only when ${where(t)} is deleted (or its netns, or the NIC, goes away). To release it, delete the netkit device in the same update ` +
      "(a binding created with the SDK's `device` option, or with `deletedWith: <device>`, is then left to the device's deletion), " +
      "or replace the device (`pulumi up --replace <device URN>`), which re-creates its remaining bindings on the new device. " +
      "To stop managing the lease but keep it, `pulumi state delete <binding URN>`.",
  );
}

const base = definitionDriven(spec);

export const rxqBindingProvider: pulumi.dynamic.ResourceProvider<Inputs, Outputs> = {
  ...base,

  /**
   * The spec's diff, except that a value still unknown does not by itself replace. The engine
   * asks this (with the dependent inputs unknown) when the netkit device is about to be
   * replaced delete-before-create; answering "replace" would make it delete the binding
   * first, while the device and its lease still exist, which must fail. Left alone, the
   * binding sees the new device's ifindex once it is known and is replaced then: its old
   * lease ended with the old device. A preview therefore shows such a binding as an update.
   */
  async diff(id, olds, news) {
    const d = await base.diff(id, olds, news);
    const unknown = Object.entries(news)
      .filter(([, v]) => hasUnknown(v))
      .map(([k]) => k);
    return { ...d, replaces: (d.replaces ?? []).filter((k) => !unknown.includes(k)) };
  },

  async create(i) {
    const host = await hostFor(i.connection);
    const l = await leasing(host);
    if ("missing" in l) throw l.missing;
    const lease = await createLease(host, l.familyId, target(i));
    return { id: `${deviceId(i.connection, i.deviceName, i.netns)}/rxq-${i.nic}-${i.nicQueue}`, outs: withDeclared(inputKeys(spec), i, outputs(i, lease)) };
  },

  async read(id, props) {
    // A lease has no name of its own on the host to find it by; declare it instead (create
    // fails with EBUSY naming the holder if the queue is already leased).
    if (!props?.deviceName) throw new NetkitError(`${spec.name} ${id}: import is not supported; declare the binding and run pulumi up`);
    requireSameHost(spec.name, id, props.connection);
    const host = await hostFor(props.connection);
    const l = await leasing(host);
    // Without the op no lease can exist on this kernel.
    const st = "missing" in l ? { present: false as const, why: l.missing.message } : await readLease(host, l.familyId, target(props), leaseOf(props));
    if (!st.present) {
      providerLog.info(`${id}: lease gone: ${st.why}`);
      return { id: "", props: {} as Outputs };
    }
    if (st.note) providerLog.debug(`${id}: ${st.note}`);
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
    if (st.present) throw cannotRelease(host, t, st.lease);
    providerLog.info(`${id}: nothing to release: ${st.why}`);
  },
};
