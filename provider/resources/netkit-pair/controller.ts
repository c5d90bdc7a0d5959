// CRUD of NetkitPair. Validation and the update/replace split come from the spec; this file
// maps inputs to kernel requests and kernel state back to outputs.
import type * as pulumi from "@pulumi/pulumi";
import { diffState } from "../../definition/diff";
import type { InputsOf, OutputsOf } from "../../definition/resource";
import type { LinkChange } from "../../netlink/link";
import { netkitPairDefinition as spec } from "./definition";
import { netnsPath } from "../fields";
import { readNetkitForRefresh } from "../../host/link-snapshot";
import { changeNetkit, createNetkit, deleteNetkit, findPeer, readNetkit, type DeviceRef, type NetkitDevices, type NetkitLink } from "../../host/netkit";
import { mismatch, definitionDriven } from "../definition-driven";
import { createOrClean, defined, deviceId, importSession, observedInputs, parseDeviceId, providerLog, requireFeatures, sessionFor } from "../context";
import { NetkitError } from "../../errors";
import { inputKeys } from "../../definition/resource";

type Inputs = InputsOf<typeof spec>;
type Outputs = OutputsOf<typeof spec>;

function refs(i: Pick<Inputs, "name" | "peerName" | "peerNetns">): { primary: DeviceRef; peer: DeviceRef } {
  return { primary: { name: i.name }, peer: i.peerNetns ? { name: i.peerName, netns: netnsPath(i.peerNetns) } : { name: i.peerName } };
}

/** Outputs: the inputs' keys with the values the kernel reports, plus read-only facts. */
function outputs(i: Inputs, p: NetkitLink, q: NetkitLink | undefined): Outputs {
  const nk = p.netkit;
  return defined({
    ...i,
    name: p.name,
    peerName: q?.name as string,
    mode: nk?.mode as Inputs["mode"],
    policy: nk?.policy as Inputs["policy"],
    peerPolicy: nk?.peerPolicy as Inputs["peerPolicy"],
    scrub: nk?.scrub as Inputs["scrub"],
    peerScrub: nk?.peerScrub as Inputs["peerScrub"],
    headroom: nk?.headroom,
    tailroom: nk?.tailroom,
    numRxQueues: p.numRxQueues,
    numTxQueues: p.numTxQueues,
    peerNumRxQueues: q?.numRxQueues,
    peerNumTxQueues: q?.numTxQueues,
    mtu: p.mtu,
    peerMtu: q?.mtu,
    // l3 devices report an all-zero address: a MAC means something only in l2.
    macAddress: nk?.mode === "l2" ? p.address : undefined,
    peerMacAddress: nk?.mode === "l2" ? q?.address : undefined,
    up: p.up,
    peerUp: q?.up as boolean,
    ifindex: p.ifindex,
    peerIfindex: q?.ifindex as number,
    peerNetnsId: p.linkNetnsId,
    carrier: p.carrier ?? false,
  });
}

/** What the kernel must have done; anything else is reported (and the device rolled back). Exported for the fixture tests. */
export function verifyPair(i: Inputs, p: NetkitLink, q: NetkitLink | undefined, release: string): string | undefined {
  const nk = p.netkit;
  if (!nk) return `${i.name} was created but is not a netkit device`;
  // Kernels with single mode report PAIRING; on older ones a pair is still a pair.
  if (nk.pairing && nk.pairing !== "pair") return `${i.name} came up as a ${nk.pairing} device on kernel ${release}`;
  return mismatch(release, i.name, [
    ["mode", i.mode, nk.mode],
    ["scrub", i.scrub, nk.scrub],
    ["peerScrub", i.peerScrub, nk.peerScrub],
    ["policy", i.policy, nk.policy],
    ["peerPolicy", i.peerPolicy, nk.peerPolicy],
    ["headroom", i.headroom, nk.headroom],
    ["tailroom", i.tailroom, nk.tailroom],
    ["peerNumRxQueues", i.peerNumRxQueues, q?.numRxQueues],
  ]);
}

function linkChanges(olds: Outputs, news: Inputs, changed: string[]): { primary: LinkChange; peer: LinkChange } {
  const primary: LinkChange = {};
  const peer: LinkChange = {};
  const has = (k: keyof Inputs) => changed.includes(k) && news[k] !== undefined;
  if (has("mtu")) primary.mtu = news.mtu!;
  if (has("peerMtu")) peer.mtu = news.peerMtu!;
  if (has("macAddress")) primary.address = news.macAddress!;
  if (has("peerMacAddress")) peer.address = news.peerMacAddress!;
  if (has("up") || olds.up !== news.up) primary.up = news.up;
  if (has("peerUp") || olds.peerUp !== news.peerUp) peer.up = news.peerUp;
  return { primary, peer };
}

/**
 * `pulumi import`: the id names the primary (HOST:PORT/NAME); its peer and the peer's netns
 * are found from the kernel's view of it. The result is what a program must declare.
 */
async function adopt(id: string): Promise<pulumi.dynamic.ReadResult<Outputs>> {
  const { name, netns } = parseDeviceId(id);
  if (netns) throw new NetkitError(`import id "${id}": a pair is named by its primary in the host's netns, HOST:PORT/NAME`);
  const session = await importSession(id);
  const { primary: p } = await readNetkit(session, { name });
  if (!p) return { id: "", props: {} as Outputs };
  const what = `${session.host}: ${name}`;
  if (!p.netkit) throw new NetkitError(`${what} is not a netkit device (kind ${p.kind ?? "none"})`);
  if (p.netkit.pairing === "single") throw new NetkitError(`${what} is a single-mode netkit device: import it as NetkitSingle`);
  if (!p.netkit.primary) throw new NetkitError(`${what} is the peer of a netkit pair: import the pair by its primary`);
  const peer = await findPeer(session, p);
  const seed = { name, peerName: peer.link.name, ...(peer.ref.netns ? { peerNetns: peer.netnsName ?? peer.ref.netns } : {}) } as Inputs;
  const outs = outputs(seed, p, peer.link);
  return { id, props: outs, inputs: observedInputs(inputKeys(spec), outs) };
}

export const netkitPairProvider: pulumi.dynamic.ResourceProvider<Inputs, Outputs> = {
  ...definitionDriven(spec),

  async create(i) {
    const session = await sessionFor(i.connection);
    await requireFeatures(session, spec, i);
    const r = refs(i);
    const d = await createOrClean(i.connection, r.primary, `netkit pair ${i.name}`, { id: deviceId(i.connection, i.name), inputs: i }, () => createNetkit(session, {
      primary: r.primary,
      peer: r.peer,
      create: {
        mode: i.mode,
        pairing: "pair",
        policy: i.policy,
        peerPolicy: i.peerPolicy,
        scrub: i.scrub,
        peerScrub: i.peerScrub,
        ...(i.headroom !== undefined ? { headroom: i.headroom } : {}),
        ...(i.tailroom !== undefined ? { tailroom: i.tailroom } : {}),
        primary: defined({ name: i.name, mtu: i.mtu, address: i.macAddress, numRxQueues: i.numRxQueues, numTxQueues: i.numTxQueues }),
        peer: defined({ name: i.peerName, mtu: i.peerMtu, address: i.peerMacAddress, numRxQueues: i.peerNumRxQueues, numTxQueues: i.peerNumTxQueues }),
      },
      primaryUp: i.up,
      peerUp: i.peerUp,
      verify: (p, q, release) => verifyPair(i, p, q, release),
    }));
    return { id: deviceId(i.connection, i.name), outs: outputs(i, d.primary, d.peer) };
  },

  async read(id, props) {
    if (!props?.name) return adopt(id);
    const session = await sessionFor(props.connection);
    const r = refs(props);
    const d = await readNetkitForRefresh(session, r.primary, r.peer);
    // An empty id tells the engine the device is gone (deleted out of band).
    if (!d.primary) return { id: "", props: {} as Outputs };
    const outs = outputs(props, d.primary, d.peer);
    return { id, props: outs, inputs: observedInputs(inputKeys(spec), outs) };
  },

  async update(_id, olds, news) {
    const { changed } = diffState(spec, olds, news);
    const session = await sessionFor(news.connection);
    const r = refs(news);
    const ch = linkChanges(olds, news, changed);
    const d: NetkitDevices = await changeNetkit(session, {
      primary: r.primary,
      peer: r.peer,
      primaryChange: ch.primary,
      peerChange: ch.peer,
      ...(changed.includes("policy") || olds.policy !== news.policy ? { policy: news.policy } : {}),
      ...(changed.includes("peerPolicy") || olds.peerPolicy !== news.peerPolicy ? { peerPolicy: news.peerPolicy } : {}),
    });
    return { outs: outputs(news, d.primary, d.peer) };
  },

  async delete(id, props) {
    const session = await sessionFor(props.connection);
    if ((await deleteNetkit(session, refs(props).primary)) === "gone") providerLog.warn(`${id} was already gone`);
  },
};
