// The generic diff: update vs replace per field, driven by the spec's metadata.
import assert from "node:assert/strict";
import { diffState } from "../../../provider/definition/diff";
import { checkInputs, UNKNOWN } from "../../../provider/definition/check";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import { netkitSingleDefinition } from "../../../provider/resources/netkit-single/definition";
import { rxqBindingDefinition } from "../../../provider/resources/rxq-binding/definition";
import { rxqBindingProvider } from "../../../provider/resources/rxq-binding/controller";
import type { ResourceDefinition } from "../../../provider/definition/resource";

const connection = { host: "10.0.0.1", privateKey: "k", hostKey: "SHA256:" + "a".repeat(43) };
const norm = (spec: ResourceDefinition, i: Record<string, unknown>) => {
  const r = checkInputs(spec, i);
  assert.deepEqual(r.failures, []);
  return r.inputs;
};

const pairBase = { connection, name: "nk0", peerName: "nk0p", mode: "l2", peerNetns: "pod" };
// [field, new value, replaces?]
const pairChanges: Array<[string, unknown, boolean]> = [
  // A rename or a move of the peer is an update: the kernel keeps the device (and its leases).
  ["name", "nk1", false],
  ["peerName", "nk1p", false],
  ["peerNetns", "pod2", false],
  ["mode", "l3", true],
  ["scrub", "none", true],
  ["peerScrub", "none", true],
  ["headroom", 64, true],
  ["tailroom", 64, true],
  ["numRxQueues", 2, true],
  ["numTxQueues", 1, true],
  ["peerNumRxQueues", 4, true],
  ["peerNumTxQueues", 1, true],
  ["policy", "blackhole", false],
  ["peerPolicy", "blackhole", false],
  ["mtu", 9000, false],
  ["peerMtu", 9000, false],
  ["macAddress", "02:00:00:00:00:09", false],
  ["peerMacAddress", "02:00:00:00:00:0a", false],
  ["up", false, false],
  ["peerUp", false, false],
  // Live link settings, per side.
  ["gsoMaxSize", 196608, false],
  ["peerGsoMaxSize", 196608, false],
  ["gsoMaxSegs", 1000, false],
  ["peerGsoMaxSegs", 1000, false],
  ["groMaxSize", 196608, false],
  ["peerGroMaxSize", 196608, false],
  ["gsoIpv4MaxSize", 196608, false],
  ["peerGsoIpv4MaxSize", 196608, false],
  ["groIpv4MaxSize", 196608, false],
  ["peerGroIpv4MaxSize", 196608, false],
  ["alias", "pod1 uplink", false],
  ["peerAlias", "eth0 of pod1", false],
  ["group", 7, false],
  ["peerGroup", 7, false],
];

describe("unit: diff (update vs replace)", () => {
  const olds = norm(netkitPairDefinition, pairBase);

  it("identical inputs: no changes", () => {
    const d = diffState(netkitPairDefinition, olds, norm(netkitPairDefinition, pairBase));
    assert.equal(d.changes, false);
  });

  for (const [field, value, replaces] of pairChanges) {
    it(`NetkitPair.${field} → ${replaces ? "replace" : "update in place"}`, () => {
      const d = diffState(netkitPairDefinition, olds, norm(netkitPairDefinition, { ...pairBase, [field]: value }));
      assert.equal(d.changes, true);
      assert.deepEqual(d.changed, [field]);
      assert.deepEqual(d.replaces, replaces ? [field] : []);
      assert.equal(d.deleteBeforeReplace, true, "names are unique per netns: delete first");
    });
  }

  it("values the kernel chose (unset in the program) are not drift", () => {
    const state = { ...olds, mtu: 1500, headroom: 0, numRxQueues: 1, macAddress: "02:11:22:33:44:55", ifindex: 7 };
    assert.equal(diffState(netkitPairDefinition, state, olds).changes, false);
  });

  it("a value changed out of band shows as drift to revert", () => {
    const d = diffState(netkitPairDefinition, { ...olds, policy: "blackhole" }, olds);
    assert.deepEqual(d.changed, ["policy"]);
    assert.deepEqual(d.replaces, []);
  });

  it("new credentials update; another host or port replaces", () => {
    const cred = diffState(netkitPairDefinition, olds, norm(netkitPairDefinition, { ...pairBase, connection: { ...connection, privateKey: "k2" } }));
    assert.deepEqual([cred.changed, cred.replaces], [["connection"], []]);
    const host = diffState(netkitPairDefinition, olds, norm(netkitPairDefinition, { ...pairBase, connection: { ...connection, host: "10.0.0.2" } }));
    assert.deepEqual(host.replaces, ["connection"]);
    const port = diffState(netkitPairDefinition, olds, norm(netkitPairDefinition, { ...pairBase, connection: { ...connection, port: 2222 } }));
    assert.deepEqual(port.replaces, ["connection"]);
  });

  it("the engine's __provider is never diffed", () => {
    assert.equal(diffState(netkitPairDefinition, { ...olds, __provider: "a" }, { ...olds, __provider: "b" }).changes, false);
  });

  it("NetkitSingle: queues and mode replace; name, netns, mtu, link settings and up update", () => {
    const base = norm(netkitSingleDefinition, { connection, name: "s0", netns: "pod" });
    for (const [f, v, rep] of [
      ["name", "s1", false],
      ["netns", "pod2", false],
      ["gsoMaxSize", 131072, false],
      ["alias", "xsk", false],
      ["group", 3, false],
      ["numRxQueues", 3, true],
      ["mode", "l2", true],
      ["mtu", 1400, false],
      ["up", false, false],
    ] as const) {
      const d = diffState(netkitSingleDefinition, base, norm(netkitSingleDefinition, { connection, name: "s0", netns: "pod", [f]: v }));
      assert.deepEqual(d.replaces, rep ? [f] : [], f);
    }
  });

  describe("RxqBinding: the kernel cannot change a lease, so every field replaces", () => {
    const base = { connection, deviceName: "nk0", netns: "pod", nic: "eth1", nicQueue: 1, deviceIfindex: 5 };
    const olds = { ...norm(rxqBindingDefinition, base), queueId: 1, nicIfindex: 3, deviceNetnsId: 0, hostNetnsId: 0 };
    for (const [f, v] of [
      ["deviceName", "nk1"],
      ["netns", "pod2"],
      ["nic", "eth2"],
      ["nicQueue", 2],
      ["deviceIfindex", 6],
    ] as const) {
      it(`RxqBinding.${f} → replace (delete first)`, async () => {
        const d = await rxqBindingProvider.diff!("id", olds as never, norm(rxqBindingDefinition, { ...base, [f]: v }) as never);
        assert.deepEqual([d.changes, d.replaces, d.deleteBeforeReplace], [true, [f], true]);
      });
    }

    it("new credentials update in place; another host replaces", async () => {
      const cred = await rxqBindingProvider.diff!("id", olds as never, norm(rxqBindingDefinition, { ...base, connection: { ...connection, privateKey: "k2" } }) as never);
      assert.deepEqual([cred.changes, cred.replaces], [true, []]);
      const host = await rxqBindingProvider.diff!("id", olds as never, norm(rxqBindingDefinition, { ...base, connection: { ...connection, host: "10.0.0.9" } }) as never);
      assert.deepEqual(host.replaces, ["connection"]);
    });

    it("the device's ifindex, left to the kernel, is not drift; the outputs are never diffed", async () => {
      const { deviceIfindex: _unset, ...noIfindex } = base;
      const d = await rxqBindingProvider.diff!("id", olds as never, norm(rxqBindingDefinition, noIfindex) as never);
      assert.equal(d.changes, false);
    });

    it("values still unknown (the device being replaced) replace the binding with it", async () => {
      // As the engine asks when the device is replaced delete-before-create: the binding goes
      // first (its delete never fails; the lease ends with the old device) and is made again
      // on the new device, in the same update.
      const news = { ...olds, deviceName: UNKNOWN, netns: UNKNOWN, deviceIfindex: UNKNOWN };
      const d = await rxqBindingProvider.diff!("id", olds as never, news as never);
      assert.deepEqual([d.changes, d.replaces], [true, ["deviceName", "netns", "deviceIfindex"]]);
    });
  });
});
