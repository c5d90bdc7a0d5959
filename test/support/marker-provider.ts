// A trivial dynamic provider for the smoke proof of the chain: it keeps one file on a host
// over SSH. Only test code; it exercises the same shim, SSH pool and host-key checks as the
// netkit resources.
import type * as pulumi from "@pulumi/pulumi";
import { hostPool } from "../../provider/runtime";
import { silentLogger } from "../../provider/log";
import { connectionSchema, type ConnectionInput } from "../../provider/connection";

export interface MarkerInputs {
  connection: ConnectionInput;
  path: string;
  content: string;
}

async function session(inputs: MarkerInputs) {
  return hostPool(silentLogger).session(connectionSchema.parse(inputs.connection));
}

async function write(inputs: MarkerInputs): Promise<void> {
  await (await session(inputs)).run(["tee", inputs.path], { stdin: inputs.content });
}

export const markerProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news: MarkerInputs) {
    const failures = /^\/tmp\/[A-Za-z0-9._-]+$/.test(news.path ?? "") ? [] : [{ property: "path", reason: "path must be a plain file name under /tmp" }];
    return { inputs: news, failures };
  },
  async diff(_id, olds: MarkerInputs, news: MarkerInputs) {
    const replaces = olds.path !== news.path ? ["path"] : [];
    return { changes: replaces.length > 0 || olds.content !== news.content, replaces, deleteBeforeReplace: true };
  },
  async create(inputs: MarkerInputs) {
    await write(inputs);
    return { id: inputs.path, outs: inputs };
  },
  async read(id, props: MarkerInputs) {
    const r = await (await session(props)).exec(["cat", id]);
    // An empty id tells the engine the resource is gone.
    if (r.exitCode !== 0) return { id: "", props: {} };
    return { id, props: { ...props, content: r.stdout.toString() } };
  },
  async update(_id, _olds, news: MarkerInputs) {
    await write(news);
    return { outs: news };
  },
  async delete(id, props: MarkerInputs) {
    await (await session(props)).run(["rm", "-f", id]);
  },
};
