// NetkitPair's CRUD flow. Validation and the update/replace split come from its definition,
// what each field means to the kernel from host.ts; this file orders the steps.
import type * as pulumi from "@pulumi/pulumi";
import { isDeepStrictEqual } from "node:util";
import { diffState } from "../../definition/diff";
import { inputKeys, type InputsOf, type OutputsOf } from "../../definition/resource";
import { NetkitError } from "../../errors";
import { definitionDriven, plannedOutputs, type Controller } from "../definition-driven";
import { previewPlan } from "./preview";
import { createOrClean } from "../create-or-clean";
import { deviceId, importHost, parseDeviceId } from "../ids";
import { hostFor } from "../hosts";
import { isRecorded, reportDelete } from "../ownership";
import { observedInputs, withDeclared } from "../declared";
import { requireFeatures } from "../kernel-needs";
import { requireSameHost } from "../host-identity";
import { netkitPairDefinition as definition } from "./definition";
import { changeRequest, createRequest, outputs, refs } from "./host";
import { deleteLeasingDevice, leaseNewDevice, leasesNow } from "../leases/host";
import { ownerOf } from "../leases/claims";
import { applyPrograms, observeHook, readHooks, removePrograms, type HookPrograms, type ObservedHook, type Hook } from "../../host/programs";
import type { HostClient } from "../../host/client";
import { changeNetkit, createNetkit, deleteNetkit, readNetkit } from "../../host/netkit-ops";
import { findPeer } from "../../host/locate";

/** The programs a pair declares, by hook (undefined: that hook is not managed). */
function declaredPrograms(i: Pick<Inputs, "programs" | "peerPrograms">): HookPrograms {
  return { primary: i.programs, peer: i.peerPrograms };
}
const managesPrograms = (i: Pick<Inputs, "programs" | "peerPrograms">) => i.programs !== undefined || i.peerPrograms !== undefined;
/** How many links the provider pinned per hook, as the state records. */
const linkCounts = (o: Partial<Outputs>) => ({ primary: o.programIds?.length ?? 0, peer: o.peerProgramIds?.length ?? 0 });

/** Attaches a new pair's programs; if that fails, the pair goes again (with what was pinned for it). */
async function attachNewDevice(host: HostClient, i: Inputs, ifindex: number): Promise<Partial<Record<Hook, ObservedHook>>> {
  if (!managesPrograms(i)) return {};
  try {
    return await applyPrograms(host, i.name, ifindex, declaredPrograms(i), {});
  } catch (e) {
    const err = e instanceof NetkitError ? e : new NetkitError(String(e), { cause: e });
    try {
      const r = await deleteNetkit(host, { ...refs(i).primary, ifindex });
      await removePrograms(host, ifindex);
      err.message += r.outcome === "deleted" ? "; the pair was deleted again, with the links it had" : "; the pair was gone already";
    } catch (x) {
      err.message += `; deleting the pair failed too, delete ${i.name} by hand: ${x instanceof Error ? x.message : String(x)}`;
    }
    throw err;
  }
}

type Inputs = InputsOf<typeof definition>;
type Outputs = OutputsOf<typeof definition>;

/**
 * `pulumi import`: the id names the primary (HOST:PORT/NAME); its peer and the peer's netns
 * are found from the kernel's view of it. The result is what a program must declare.
 */
async function adopt(id: string): Promise<pulumi.dynamic.ReadResult<Outputs>> {
  const { name, netns } = parseDeviceId(id);
  if (netns) throw new NetkitError(`import id "${id}": a pair is named by its primary in the host's netns, HOST:PORT/NAME`);
  const host = await importHost(id);
  const { primary: p } = await readNetkit(host, { name });
  if (!p) return { id: "", props: {} as Outputs };
  const what = `${host.host}: ${name}`;
  if (!p.netkit) throw new NetkitError(`${what} is not a netkit device (kind ${p.kind ?? "none"})`);
  if (p.netkit.pairing === "single") throw new NetkitError(`${what} is a single-mode netkit device: import it as NetkitSingle`);
  if (!p.netkit.primary) throw new NetkitError(`${what} is the peer of a netkit pair: import the pair by its primary`);
  const peer = await findPeer(host, p);
  const seed = { name, peerName: peer.link.name, ...(peer.ref.netns ? { peerNetns: peer.netnsName ?? peer.ref.netns } : {}) } as Inputs;
  const seen = outputs(seed, p, peer.link, { leases: [], queueIds: [] });
  // An import declares what it found: the program that adopts the device sets these fields.
  const outs = withDeclared(inputKeys(definition), seen, seen);
  return { id, props: outs, inputs: observedInputs(inputKeys(definition), outs) };
}

/**
 * The outputs an update may change: the peer's ifindex and nsid when it moves to another netns
 * (the kernel keeps an ifindex across a move only if the target netns has it free); the
 * programs a hook runs when its list changes; other tools' programs wherever the update reads a
 * hook. The primary never leaves the host's netns, and a rename keeps an ifindex.
 */
function changedByUpdate(olds: Outputs, news: Inputs): string[] {
  const out: string[] = [];
  if (!isDeepStrictEqual(refs(olds).peer.netns, refs(news).peer.netns)) out.push("peerIfindex", "peerNetnsId");
  const hooks = [
    ["programs", "programIds", "otherProgramIds"],
    ["peerPrograms", "peerProgramIds", "peerOtherProgramIds"],
  ] as const;
  for (const [list, ids, others] of hooks) {
    if (news[list] === undefined && !olds[ids]?.length) continue;
    if (!isDeepStrictEqual(olds[list], news[list])) out.push(ids);
    out.push(others);
  }
  return out;
}

export const netkitPairProvider: Controller<Inputs, Outputs> = {
  ...definitionDriven(definition, previewPlan, (i) =>
    (Array.isArray(i.peerLeases) ? i.peerLeases : []).map((l, k) => ({ nic: l.nic, queue: l.queue, field: `peerLeases[${k}].queue` })),
  ),

  previewUpdate(_id, olds, news) {
    return plannedOutputs(definition, olds, news, changedByUpdate(olds, news));
  },

  async create(i) {
    const host = await hostFor(i.connection);
    const facts = await requireFeatures(host, definition, i);
    const id = deviceId(i.connection, i.name);
    const r = refs(i);
    const d = await createOrClean(i.connection, r.primary, `netkit pair ${i.name}`, { id, inputs: i }, () => createNetkit(host, createRequest(i)));
    // The kernel leases only to the peer; deleting the primary removes both.
    const owner = ownerOf(i);
    const queueIds = await leaseNewDevice(
      host,
      facts,
      { ...r.peer, ifindex: d.peer!.ifindex },
      { ...r.primary, ifindex: d.primary.ifindex },
      i.peerLeases ?? [],
      owner && { ...owner, field: "peerLeases" },
    );
    const hooks = await attachNewDevice(host, i, d.primary.ifindex);
    return { id, outs: withDeclared(inputKeys(definition), i, outputs(i, d.primary, d.peer, { leases: i.peerLeases ?? [], queueIds }, hooks)) };
  },

  async read(id, props) {
    if (!props?.name) return adopt(id);
    requireSameHost(definition.name, id, props.connection);
    const r = refs(props);
    const host = await hostFor(props.connection);
    const d = await host.readNetkitForRefresh(r.primary, r.peer);
    // An empty id tells the engine the device is gone (deleted out of band, or replaced by another).
    if (!d.primary || !isRecorded(id, host.host, props.name, props.ifindex, d.primary)) return { id: "", props: {} as Outputs };
    const leased = d.peer ? await leasesNow(host, { ...r.peer, ifindex: d.peer.ifindex }, props.peerLeases, props.peerLeaseQueueIds) : { leases: [], queueIds: [] };
    const hooks: Partial<Record<Hook, ObservedHook>> = {};
    if (managesPrograms(props)) {
      const states = await readHooks(host, d.primary.ifindex, declaredPrograms(props), linkCounts(props));
      for (const h of ["primary", "peer"] as const) {
        const list = declaredPrograms(props)[h];
        if (states[h] && list) hooks[h] = observeHook(states[h], list);
      }
    }
    const outs = withDeclared(inputKeys(definition), props, outputs(props, d.primary, d.peer, leased, hooks));
    return { id, props: outs, inputs: observedInputs(inputKeys(definition), outs) };
  },

  async update(id, olds, news) {
    requireSameHost(definition.name, id, news.connection);
    const { changed } = diffState(definition, olds, news);
    const host = await hostFor(news.connection);
    const d = await changeNetkit(host, changeRequest(olds, news, changed));
    // Programs swap on the live device. A hook whose list was removed loses the provider's links
    // (they are the stack's); what other tools attached stays.
    const had = linkCounts(olds);
    const want: HookPrograms = { primary: news.programs ?? (had.primary ? [] : undefined), peer: news.peerPrograms ?? (had.peer ? [] : undefined) };
    const hooks = want.primary !== undefined || want.peer !== undefined ? await applyPrograms(host, news.name, d.primary.ifindex, want, had) : {};
    // Leases replace the pair when they change: an update keeps what the peer holds.
    return { outs: withDeclared(inputKeys(definition), news, outputs(news, d.primary, d.peer, { leases: olds.peerLeases ?? [], queueIds: olds.peerLeaseQueueIds ?? [] }, hooks)) };
  },

  async delete(id, props) {
    requireSameHost(definition.name, id, props.connection);
    const host = await hostFor(props.connection);
    // The peer is the side that leases, and only with room for a lease.
    const peer = (props.peerNumRxQueues ?? 1) > 1 && props.peerIfindex !== undefined ? { ...refs(props).peer, ifindex: props.peerIfindex } : undefined;
    reportDelete(id, host.host, props.name, await deleteLeasingDevice(host, { ...refs(props).primary, ifindex: props.ifindex }, peer));
    // The device took its links' attachments with it; the pins keep the links until unpinned.
    if (managesPrograms(props) || (props.programIds?.length ?? 0) + (props.peerProgramIds?.length ?? 0) > 0) await removePrograms(host, props.ifindex);
  },
};
