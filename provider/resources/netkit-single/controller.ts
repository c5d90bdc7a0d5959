// CRUD of NetkitSingle. Single mode is probed, never assumed from a version: a kernel
// without it ignores IFLA_NETKIT_PAIRING and would make a pair, so the read-back must
// report pairing "single" or the device is deleted again and a capability error raised.
import type * as pulumi from "@pulumi/pulumi";
import { diffState } from "../../definition/diff";
import type { InputsOf, OutputsOf } from "../../definition/resource";
import { netkitSingleDefinition as spec } from "./definition";
import { netnsPath } from "../fields";
import { readNetkitForRefresh } from "../../host/link-snapshot";
import { changeNetkit, createNetkit, deleteNetkit, readNetkit, type DeviceRef, type NetkitLink } from "../../host/netkit";
import { mismatch, definitionDriven } from "../definition-driven";
import { createOrClean, defined, deviceId, importSession, observedInputs, parseDeviceId, providerLog, requireFeatures, sessionFor } from "../context";
import { NetkitError } from "../../errors";
import { inputKeys } from "../../definition/resource";

type Inputs = InputsOf<typeof spec>;
type Outputs = OutputsOf<typeof spec>;

function ref(i: Pick<Inputs, "name" | "netns">): DeviceRef {
  return i.netns ? { name: i.name, netns: netnsPath(i.netns) } : { name: i.name };
}

function outputs(i: Inputs, d: NetkitLink): Outputs {
  return defined({
    ...i,
    name: d.name,
    mode: d.netkit?.mode as Inputs["mode"],
    policy: d.netkit?.policy as Inputs["policy"],
    headroom: d.netkit?.headroom,
    tailroom: d.netkit?.tailroom,
    numRxQueues: d.numRxQueues,
    numTxQueues: d.numTxQueues,
    mtu: d.mtu,
    // l3 devices report an all-zero address: a MAC means something only in l2.
    macAddress: d.netkit?.mode === "l2" ? d.address : undefined,
    up: d.up,
    ifindex: d.ifindex,
    carrier: d.carrier ?? false,
  });
}

function verify(i: Inputs, d: NetkitLink, release: string): string | undefined {
  const nk = d.netkit;
  if (!nk) return `${i.name} was created but is not a netkit device`;
  if (nk.pairing !== "single")
    return `capability: kernel ${release} has no netkit single mode (IFLA_NETKIT_PAIRING, Linux 7.1 or later): it made a ${nk.pairing ?? "pair"} instead`;
  return mismatch(release, i.name, [
    ["mode", i.mode, nk.mode],
    ["headroom", i.headroom, nk.headroom],
    ["tailroom", i.tailroom, nk.tailroom],
    ["numRxQueues", i.numRxQueues, d.numRxQueues],
  ]);
}

/** `pulumi import` of HOST:PORT/[NETNS/]NAME: the device as the kernel has it. */
async function adopt(id: string): Promise<pulumi.dynamic.ReadResult<Outputs>> {
  const { name, netns } = parseDeviceId(id);
  const seed = { name, ...(netns ? { netns } : {}) } as Inputs;
  const session = await importSession(id);
  const { primary: p } = await readNetkit(session, ref(seed));
  if (!p) return { id: "", props: {} as Outputs };
  if (p.netkit?.pairing !== "single") throw new NetkitError(`${session.host}: ${name} is not a single-mode netkit device (kind ${p.kind ?? "none"}${p.netkit ? ", paired" : ""})`);
  const outs = outputs(seed, p);
  return { id, props: outs, inputs: observedInputs(inputKeys(spec), outs) };
}

export const netkitSingleProvider: pulumi.dynamic.ResourceProvider<Inputs, Outputs> = {
  ...definitionDriven(spec),

  async create(i) {
    const session = await sessionFor(i.connection);
    await requireFeatures(session, spec, i);
    const r = ref(i);
    const d = await createOrClean(i.connection, r, `netkit device ${i.name}`, { id: deviceId(i.connection, i.name, i.netns), inputs: i }, () => createNetkit(session, {
      primary: r,
      create: {
        mode: i.mode,
        pairing: "single",
        ...(i.headroom !== undefined ? { headroom: i.headroom } : {}),
        ...(i.tailroom !== undefined ? { tailroom: i.tailroom } : {}),
        primary: defined({ name: i.name, mtu: i.mtu, address: i.macAddress, numRxQueues: i.numRxQueues, numTxQueues: i.numTxQueues }),
      },
      primaryUp: i.up,
      verify: (p, _q, release) => verify(i, p, release),
    }));
    return { id: deviceId(i.connection, i.name, i.netns), outs: outputs(i, d.primary) };
  },

  async read(id, props) {
    if (!props?.name) return adopt(id);
    const d = await readNetkitForRefresh(await sessionFor(props.connection), ref(props));
    if (!d.primary) return { id: "", props: {} as Outputs };
    const outs = outputs(props, d.primary);
    return { id, props: outs, inputs: observedInputs(inputKeys(spec), outs) };
  },

  async update(_id, olds, news) {
    const { changed } = diffState(spec, olds, news);
    const has = (k: keyof Inputs) => changed.includes(k) && news[k] !== undefined;
    const d = await changeNetkit(await sessionFor(news.connection), {
      primary: ref(news),
      primaryChange: defined({
        mtu: has("mtu") ? news.mtu : undefined,
        address: has("macAddress") ? news.macAddress : undefined,
        up: olds.up !== news.up ? news.up : undefined,
      }),
    });
    return { outs: outputs(news, d.primary) };
  },

  async delete(id, props) {
    if ((await deleteNetkit(await sessionFor(props.connection), ref(props))) === "gone") providerLog.warn(`${id} was already gone`);
  },
};
