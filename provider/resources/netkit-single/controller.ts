// NetkitSingle's CRUD flow. Single mode is probed, never assumed from a version (preflight);
// what each field means to the kernel is host.ts's.
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
import { netkitSingleDefinition as definition } from "./definition";
import { changeRequest, createRequest, outputs, ref } from "./host";
import { deleteLeasingDevice, leaseNewDevice, leasesNow } from "../leases/host";
import { changeNetkit, createNetkit, readNetkit } from "../../host/netkit-ops";
import { ownerOf } from "../leases/claims";

type Inputs = InputsOf<typeof definition>;
type Outputs = OutputsOf<typeof definition>;

/** `pulumi import` of HOST:PORT/[NETNS/]NAME: the device as the kernel has it. */
async function adopt(id: string): Promise<pulumi.dynamic.ReadResult<Outputs>> {
  const { name, netns } = parseDeviceId(id);
  const seed = { name, ...(netns ? { netns } : {}) } as Inputs;
  const host = await importHost(id);
  const { primary: p } = await readNetkit(host, ref(seed));
  if (!p) return { id: "", props: {} as Outputs };
  if (p.netkit?.pairing !== "single") throw new NetkitError(`${host.host}: ${name} is not a single-mode netkit device (kind ${p.kind ?? "none"}${p.netkit ? ", paired" : ""})`);
  const seen = outputs(seed, p, { leases: [], queueIds: [] });
  // An import declares what it found: the program that adopts the device sets these fields.
  const outs = withDeclared(inputKeys(definition), seen, seen);
  return { id, props: outs, inputs: observedInputs(inputKeys(definition), outs) };
}

export const netkitSingleProvider: Controller<Inputs, Outputs> = {
  ...definitionDriven(definition, previewPlan, (i) => (Array.isArray(i.leases) ? i.leases : []).map((l, k) => ({ nic: l.nic, queue: l.queue, field: `leases[${k}].queue` }))),

  /** A rename keeps the ifindex; a netns move keeps it only if the target netns has it free. */
  previewUpdate(_id, olds, news) {
    return plannedOutputs(definition, olds, news, isDeepStrictEqual(ref(olds).netns, ref(news).netns) ? [] : ["ifindex"]);
  },

  async create(i) {
    const host = await hostFor(i.connection);
    const facts = await requireFeatures(host, definition, i);
    const id = deviceId(i.connection, i.name, i.netns);
    const d = await createOrClean(i.connection, ref(i), `netkit device ${i.name}`, { id, inputs: i }, () => createNetkit(host, createRequest(i)));
    const me = { ...ref(i), ifindex: d.primary.ifindex };
    const owner = ownerOf(i);
    const queueIds = await leaseNewDevice(host, facts, me, me, i.leases ?? [], owner && { ...owner, field: "leases" });
    return { id, outs: withDeclared(inputKeys(definition), i, outputs(i, d.primary, { leases: i.leases ?? [], queueIds })) };
  },

  async read(id, props) {
    if (!props?.name) return adopt(id);
    requireSameHost(definition.name, id, props.connection);
    const host = await hostFor(props.connection);
    const d = await host.readNetkitForRefresh(ref(props));
    if (!d.primary || !isRecorded(id, host.host, props.name, props.ifindex, d.primary)) return { id: "", props: {} as Outputs };
    const leased = await leasesNow(host, { ...ref(props), ifindex: d.primary.ifindex }, props.leases, props.leaseQueueIds);
    const outs = withDeclared(inputKeys(definition), props, outputs(props, d.primary, leased));
    return { id, props: outs, inputs: observedInputs(inputKeys(definition), outs) };
  },

  async update(id, olds, news) {
    requireSameHost(definition.name, id, news.connection);
    const { changed } = diffState(definition, olds, news);
    const d = await changeNetkit(await hostFor(news.connection), changeRequest(olds, news, changed));
    // Leases replace the device when they change: an update keeps what it holds.
    return { outs: withDeclared(inputKeys(definition), news, outputs(news, d.primary, { leases: olds.leases ?? [], queueIds: olds.leaseQueueIds ?? [] })) };
  },

  async delete(id, props) {
    requireSameHost(definition.name, id, props.connection);
    const host = await hostFor(props.connection);
    const me = { ...ref(props), ifindex: props.ifindex };
    // Only a device with room for leases can hold one.
    reportDelete(id, host.host, props.name, await deleteLeasingDevice(host, me, (props.numRxQueues ?? 1) > 1 ? me : undefined));
  },
};
