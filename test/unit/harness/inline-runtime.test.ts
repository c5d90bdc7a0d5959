// The test harness's fix for in-process inline programs (harness/inline-runtime.ts):
// a client left reconnecting to a dead engine port must not poison a new engine that later
// listens on the same port. Reproduced with @pulumi/pulumi's own client class and options.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { Server } from "@grpc/grpc-js";
import { ResourceMonitorClient, ResourceMonitorService } from "@pulumi/pulumi/proto/resource_grpc_pb";
import { SupportsFeatureRequest, SupportsFeatureResponse } from "@pulumi/pulumi/proto/resource_pb";
import { sdkClientOptions } from "../../../harness/inline-runtime";
import { fromPulumiTree } from "../../../harness/pulumi-tree";

// The grpc-js of @pulumi/pulumi's generated client (its credentials are checked with instanceof).
const grpc = fromPulumiTree<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");

type Client = ResourceMonitorClient;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** "ok", or the call's error message. */
const call = (c: Client) => new Promise<string>((resolve) => c.supportsFeature(new SupportsFeatureRequest(), (e) => resolve(e ? e.message : "ok")));

describe("unit: inline runs in one process (test harness)", function () {
  const opened: Client[] = [];
  const servers: Server[] = [];
  const client = (addr: string, options: object): Client => {
    const c = new ResourceMonitorClient(addr, grpc.credentials.createInsecure(), options);
    opened.push(c);
    return c;
  };
  after(() => {
    for (const c of opened) c.close();
    for (const s of servers) s.forceShutdown();
  });

  /** A client that called a dead engine (now reconnecting), then a live engine on that port; the result of a new client's first call. */
  async function firstCallAfterALeak(options: object): Promise<string> {
    const addr = `127.0.0.1:${await freePort()}`;
    const globalPool = { ...sdkClientOptions, "grpc.use_local_subchannel_pool": 0 };
    assert.match(await call(client(addr, globalPool)), /ECONNREFUSED/, "the leaked client's engine is gone");
    const server = new grpc.Server();
    servers.push(server);
    server.addService(ResourceMonitorService, { supportsFeature: (_: unknown, cb: (e: null, r: unknown) => void) => cb(null, new SupportsFeatureResponse()) });
    await new Promise<void>((resolve, reject) => server.bindAsync(addr, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
    return call(client(addr, options));
  }

  it("control: with grpc-js's process-wide subchannel pool, the new engine's first call fails at once (the CI flake)", async function () {
    const r = await firstCallAfterALeak({ ...sdkClientOptions, "grpc.use_local_subchannel_pool": 0 });
    assert.match(r, /14 UNAVAILABLE: No connection established\. Last error: null/);
  });

  it("with the harness's options (a subchannel pool per client), the new engine's first call succeeds", async function () {
    assert.equal(await firstCallAfterALeak(sdkClientOptions), "ok");
  });
});
