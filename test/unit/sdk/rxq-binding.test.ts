// The SDK's RxqBinding: `device` supplies the netkit side (a pair's peer, a single device
// itself) and the connection; without it, deviceName and connection are required. That a
// binding follows its device (replaceWith, deletedWith) is proven with the real engine in
// test/lifecycle/rxq-binding.test.ts.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { NetkitPair, NetkitSingle, RxqBinding } from "../../../sdk";

const connection = { host: "10.0.0.1", privateKey: "k" };
const registered = new Map<string, Record<string, unknown>>();

describe("unit: SDK RxqBinding", () => {
  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (a) => {
          const inputs = a.inputs as Record<string, unknown>;
          registered.set(a.name, inputs);
          // What the provider would report for the devices.
          return { id: `${a.name}-id`, state: { ...inputs, ifindex: 11, peerIfindex: 12 } };
        },
        call: () => ({}),
      },
      "project",
      "stack",
      false,
    );
  });

  const inputsOf = async (r: pulumi.Resource, name: string) => {
    await new Promise<void>((done) => r.urn.apply(() => done()));
    return registered.get(name)!;
  };

  // Not its ifindex: unknown while the device changes, it would show the binding as changing
  // with every update of the device; replaceWith makes a re-created device re-create it.
  it("from a single device: its name, netns and connection, not its ifindex", async () => {
    const dev = new NetkitSingle("s", { connection, name: "nk-xsk", netns: "pod1", numRxQueues: 3 });
    const b = new RxqBinding("b1", { device: dev, nic: "eth1", nicQueue: 3 });
    const i = await inputsOf(b, "b1");
    assert.deepEqual([i.deviceName, i.netns, i.deviceIfindex, i.nic, i.nicQueue], ["nk-xsk", "pod1", undefined, "eth1", 3]);
    // The connection arrives as a secret (a signed wrapper around the value).
    const conn = i.connection as { value?: { host: string }; host?: string };
    assert.equal((conn.value ?? conn).host, "10.0.0.1");
  });

  it("from a pair: its peer", async () => {
    const pair = new NetkitPair("p", { connection, name: "nk-pod", peerName: "eth0", peerNetns: "pod2" });
    const i = await inputsOf(new RxqBinding("b2", { device: pair, nic: "eth1", nicQueue: 0 }), "b2");
    assert.deepEqual([i.deviceName, i.netns, i.deviceIfindex], ["eth0", "pod2", undefined]);
  });

  it("refuses ambiguous or incomplete arguments before registering anything", () => {
    const dev = new NetkitSingle("s2", { connection, name: "nk-x" });
    assert.throws(() => new RxqBinding("b3", { device: dev, deviceName: "other", nic: "eth1", nicQueue: 0 }), /deviceName comes from `device`/);
    assert.throws(() => new RxqBinding("b4", { connection, nic: "eth1", nicQueue: 0 }), /give `device`/);
    // Without a connection the binding uses the configured one; the provider's check names
    // the field when there is none (test/unit/resources/validation.test.ts).
  });
});
