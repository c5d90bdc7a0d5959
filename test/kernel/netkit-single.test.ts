// NetkitSingle's controller against a real kernel: single mode is probed from the kernel's
// read-back, a device can be created straight into a netns, and changes apply in place.
import assert from "node:assert/strict";
import { netkitSingleProvider as provider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, isUp, linkNames, sysfs } from "../support/netkit";
import type { TestHost } from "../../testhost";

describe("kernel: NetkitSingle on a real netkit kernel", function () {
  let host: TestHost;
  const ns = "nkt-pod2";
  let outs: Record<string, unknown>;
  let inputs: Record<string, unknown>;
  let nsBefore: string[]; // a fresh netns may hold fallback devices (lo, sit0, …)

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
    nsBefore = await linkNames(host, ns);
    inputs = checked(netkitSingleDefinition, {
      connection: connectionTo(host),
      name: "nks0",
      netns: ns,
      mode: "l2",
      headroom: 128,
      tailroom: 16,
      numRxQueues: 3,
      numTxQueues: 1,
      mtu: 4000,
      txQueueLen: 800,
      macAddress: "02:00:00:00:cc:01",
    });
  });
  after(async function () {
    await onHost(host, ["ip", "netns", "del", ns]);
  });

  it("creates a single device with every attribute, inside a netns", async function () {
    const r = await provider.create(inputs as never);
    outs = r.outs as Record<string, unknown>;
    assert.equal(r.id, `${host.host}:${host.port}/${ns}/nks0`);
    const expect = {
      name: "nks0",
      mode: "l2",
      policy: "forward",
      headroom: 128,
      tailroom: 16,
      numRxQueues: 3,
      numTxQueues: 1,
      mtu: 4000,
      txQueueLen: 800,
      macAddress: "02:00:00:00:cc:01",
      up: true,
    };
    for (const [k, v] of Object.entries(expect)) assert.deepEqual(outs[k], v, k);
    const s = await sysfs(host, "nks0", ns);
    assert.deepEqual([s?.ifindex, s?.mtu, s?.address, isUp(s?.flags), s?.carrier, s?.tx_queue_len], [String(outs.ifindex), "4000", "02:00:00:00:cc:01", true, "1", "800"]);
    assert.ok(!(await linkNames(host)).includes("nks0"), "created in the pod netns, not the host's");
    assert.deepEqual(await linkNames(host, ns), [...nsBefore, "nks0"].sort(), "single mode: no peer anywhere");
  });

  it("reads back what create reported", async function () {
    assert.deepEqual((await provider.read!("id", outs as never)).props, outs);
  });

  it("updates MTU, MAC and admin state in place", async function () {
    const news = { ...inputs, mtu: 1500, macAddress: "02:00:00:00:cc:02", up: false };
    assert.deepEqual((await provider.diff!("id", outs as never, news as never)).replaces, []);
    const o = (await provider.update!("id", outs as never, news as never)).outs as Record<string, unknown>;
    assert.deepEqual([o.mtu, o.macAddress, o.up, o.ifindex], [1500, "02:00:00:00:cc:02", false, outs.ifindex]);
    const s = await sysfs(host, "nks0", ns);
    assert.deepEqual([s?.mtu, s?.address, isUp(s?.flags)], ["1500", "02:00:00:00:cc:02", false]);
    outs = o;
  });

  it("deletes it; reading it then reports it gone; deleting again succeeds", async function () {
    await provider.delete!("id", outs as never);
    assert.deepEqual(await linkNames(host, ns), nsBefore);
    assert.equal((await provider.read!("id", outs as never)).id, "");
    await provider.delete!("id", outs as never);
  });

  it("a device deleted with its netns disappears from state on read", async function () {
    await onHost(host, ["ip", "netns", "add", "nkt-gone"]);
    const r = await provider.create(checked(netkitSingleDefinition, { connection: connectionTo(host), name: "nks1", netns: "nkt-gone" }) as never);
    await onHost(host, ["ip", "netns", "del", "nkt-gone"]);
    assert.equal((await provider.read!("id", r.outs as never)).id, "");
  });
});
