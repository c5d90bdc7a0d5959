// QueueNapi's CRUD flow: the queue's NAPI found through queue-get (its napi-id), set with
// napi-set, read back by refresh (drift: someone's napi-set), restored on delete. The NIC's
// channels decide whether the queue exists: take `nic` from a NicQueues output, so that this
// resource is deleted (and its NAPI restored) before the channels go back.
import type * as pulumi from "@pulumi/pulumi";
import { inputKeys, type InputsOf, type OutputsOf } from "../../definition/resource";
import { NetkitError } from "../../errors";
import { definitionDriven } from "../definition-driven";
import { defined, DECLARED, observedInputs, withDeclared } from "../declared";
import { requireSameHost } from "../host-identity";
import { connectionOf, hostFor, providerLog } from "../hosts";
import { requireFeatures } from "../kernel-needs";
import { queueNapiDefinition as definition, type NapiPrevious } from "./definition";
import { declared, previousOf, readQueue, setNapi, wanted, whyNot, type QueueView } from "./host";
import { previewPlan } from "./preview";
import type { NapiInfo } from "../../netlink/napi";

type Inputs = InputsOf<typeof definition>;
type Outputs = OutputsOf<typeof definition>;

function outputs(i: Inputs, v: QueueView, napi: NapiInfo, previous: NapiPrevious): Outputs {
  const q = v.queue!;
  return defined({
    ...i,
    deferHardIrqs: napi.deferHardIrqs,
    groFlushTimeout: napi.groFlushTimeout,
    irqSuspendTimeout: napi.irqSuspendTimeout,
    threaded: napi.threaded,
    nicIfindex: v.survey.link!.ifindex,
    napiId: napi.id,
    previous,
    leaseDeviceIfindex: q.lease?.ifindex,
    leaseQueueId: q.lease?.queueId,
    leaseNetnsId: q.lease?.netnsId,
    xsk: q.xsk,
    ioUring: q.ioUring === true,
    dmabuf: q.dmabuf,
  });
}

const id = (i: Pick<Inputs, "connection" | "nic" | "queue">) => {
  const c = connectionOf(i.connection);
  return `${c.host}:${c.port}/${i.nic}/rx-${i.queue}`;
};

/** What the kernel did not set as asked. */
function notAsAsked(i: Inputs, n: NapiInfo): string[] {
  return declared(i)
    .filter((k) => n[k] !== i[k])
    .map((k) => `${k} ${String(n[k])} (asked ${String(i[k])})`);
}

export const queueNapiProvider: pulumi.dynamic.ResourceProvider<Inputs, Outputs> = {
  ...definitionDriven(definition, previewPlan),

  async create(i) {
    const host = await hostFor(i.connection);
    const facts = await requireFeatures(host, definition, i);
    const v = await readQueue(host, facts, i.nic, i.queue);
    const why = whyNot(host.host, i, v);
    if (why) throw new NetkitError(why);
    const previous = previousOf(v.napi!, declared(i));
    const now = await setNapi(host, facts, i.nic, i.queue, v.napi!.id, wanted(i));
    const off = notAsAsked(i, now);
    if (off.length) {
      await setNapi(host, facts, i.nic, i.queue, v.napi!.id, previous).catch(() => undefined);
      throw new NetkitError(`${host.host}: the kernel set the NAPI of ${i.nic} RX queue ${i.queue} to ${off.join(", ")}; it was put back`);
    }
    return { id: id(i), outs: withDeclared(inputKeys(definition), i, outputs(i, v, now, previous)) };
  },

  async read(rid, props) {
    if (!props?.nic) throw new NetkitError(`import id "${rid}": QueueNapi cannot be imported; declare it, and create records the NAPI's settings as the values delete restores`);
    requireSameHost(definition.name, rid, props.connection);
    const host = await hostFor(props.connection);
    const facts = await host.nicFacts();
    const v = await readQueue(host, facts, props.nic, props.queue);
    if (!v.survey.link) {
      providerLog.info(`${rid}: NIC ${props.nic} is gone, and its NAPIs with it`);
      return { id: "", props: {} as Outputs };
    }
    const why = whyNot(host.host, props, v);
    // A NIC that is down (or has fewer channels for now) keeps its NAPI settings per queue: the state stays.
    if (why) {
      providerLog.warn(`${rid}: cannot read the NAPI now (${why}); the state keeps what was last read`);
      return { id: rid, props, inputs: observedInputs(inputKeys(definition), props) };
    }
    const outs = withDeclared(inputKeys(definition), props, outputs(props, v, v.napi!, props.previous ?? {}));
    return { id: rid, props: outs, inputs: observedInputs(inputKeys(definition), outs) };
  },

  async update(rid, olds, news) {
    requireSameHost(definition.name, rid, news.connection);
    const host = await hostFor(news.connection);
    const facts = await requireFeatures(host, definition, news);
    const v = await readQueue(host, facts, news.nic, news.queue, olds.nicIfindex);
    const why = whyNot(host.host, news, v);
    if (why) throw new NetkitError(`${why}: run \`pulumi refresh\``);
    const had = (olds as Record<string, unknown>)[DECLARED];
    const known = new Set(Array.isArray(had) ? (had as string[]) : declared(olds));
    const previous = {
      ...(olds.previous ?? {}),
      ...previousOf(
        v.napi!,
        declared(news).filter((k) => !known.has(k)),
      ),
    };
    const now = await setNapi(host, facts, news.nic, news.queue, v.napi!.id, wanted(news));
    const off = notAsAsked(news, now);
    if (off.length) throw new NetkitError(`${host.host}: the kernel set the NAPI of ${news.nic} RX queue ${news.queue} to ${off.join(", ")}`);
    return { outs: withDeclared(inputKeys(definition), news, outputs(news, v, now, previous)) };
  },

  async delete(rid, props) {
    requireSameHost(definition.name, rid, props.connection);
    const host = await hostFor(props.connection);
    const facts = await host.nicFacts();
    const v = await readQueue(host, facts, props.nic, props.queue, props.nicIfindex);
    const why = whyNot(host.host, props, v);
    if (why) {
      providerLog.warn(`${rid}: nothing to restore: ${why}`);
      return;
    }
    await setNapi(host, facts, props.nic, props.queue, v.napi!.id, props.previous ?? {});
  },
};
