// The SDK's classes register their resources with stack traces off (sdk/resource.ts,
// stackTracesOff): the program's own limit must be back afterwards, also when registration
// throws; and the source position the engine is told is still the program's line.
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { FlowRule, NetkitPair, NetkitSingle, NicQueues, QueueNapi, RxqBinding } from "../../../sdk";

const connection = { host: "10.0.0.1", privateKey: "k" };

describe("unit: SDK registration and the program's stack trace limit", () => {
  let saved: number;
  before(async () => {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs as Record<string, unknown> }), call: () => ({}) }, "project", "stack", false);
  });
  beforeEach(() => {
    saved = Error.stackTraceLimit;
    // A value of the program's own, to tell apart from V8's default.
    Error.stackTraceLimit = 37;
  });
  afterEach(() => {
    Error.stackTraceLimit = saved;
  });

  it("is restored after each class registered its resource", () => {
    const single = new NetkitSingle("reg-s", { connection, name: "nk-s" });
    assert.equal(Error.stackTraceLimit, 37);
    new NetkitPair("reg-p", { connection, name: "nk-p", peerName: "eth0" });
    assert.equal(Error.stackTraceLimit, 37);
    new RxqBinding("reg-b", { device: single, nic: "eth1", nicQueue: 1 });
    assert.equal(Error.stackTraceLimit, 37);
    const nic = new NicQueues("reg-n", { connection, nic: "eth1", rxRing: 64 });
    assert.equal(Error.stackTraceLimit, 37);
    new QueueNapi("reg-q", { connection, nic: nic.nic, queue: 1, deferHardIrqs: 2 });
    assert.equal(Error.stackTraceLimit, 37);
    new FlowRule("reg-f", { connection, nic: nic.nic, flowType: "tcp6", dstPort: 9999, queue: 1 });
    assert.equal(Error.stackTraceLimit, 37);
    assert.match(new Error("after").stack ?? "", /\n\s+at /, "the program's errors have stacks again");
  });

  it("leaves the source position the engine is told to be the program's line", async () => {
    // The mocks' monitor receives the engine's RegisterResource request.
    const monitor = pulumi.runtime.getMonitor() as unknown as Record<
      "registerResource",
      (req: { getSourceposition(): { getUri(): string; getLine(): number } | undefined }, cb: unknown) => unknown
    >;
    const register = monitor.registerResource.bind(monitor);
    const seen = new Promise<{ uri: string; line: number } | undefined>((resolve) => {
      monitor.registerResource = (req, cb) => {
        const p = req.getSourceposition();
        resolve(p && { uri: p.getUri(), line: p.getLine() });
        return register(req, cb);
      };
    });
    try {
      const line = Number(/:(\d+):\d+\)?$/m.exec(new Error().stack!.split("\n")[1]!)![1]) + 1;
      new NetkitPair("reg-pos", { connection, name: "nk-pos", peerName: "eth0" });
      assert.deepEqual(await seen, { uri: pathToFileURL(__filename).toString(), line });
    } finally {
      monitor.registerResource = register;
    }
  });

  it("is restored when registration throws, whose error keeps its message", () => {
    // @pulumi/pulumi refuses a resource without a name inside the class's registration.
    for (const make of [
      () => new NetkitPair("", { connection, name: "nk-p", peerName: "eth0" }),
      () => new NetkitSingle("", { connection, name: "nk-s" }),
      () => new RxqBinding("", { connection, deviceName: "nk-s", nic: "eth1", nicQueue: 1 }),
    ]) {
      assert.throws(make, /Missing resource name/);
      assert.equal(Error.stackTraceLimit, 37);
    }
  });
});
