// The generic diff: update vs replace per field, driven by the spec's metadata.
import assert from "node:assert/strict";
import { diffState } from "../../../provider/definition/diff";
import { checkInputs, UNKNOWN } from "../../../provider/definition/check";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import { netkitSingleDefinition } from "../../../provider/resources/netkit-single/definition";
import { rxqBindingDefinition } from "../../../provider/resources/rxq-binding/definition";
import { rxqBindingProvider } from "../../../provider/resources/rxq-binding/controller";
import { inputKeys, type ResourceDefinition } from "../../../provider/definition/resource";

const connection = { host: "10.0.0.1", privateKey: "k", hostKey: "SHA256:" + "a".repeat(43) };
const norm = (spec: ResourceDefinition, i: Record<string, unknown>) => {
  const r = checkInputs(spec, i);
  assert.deepEqual(r.failures, []);
  return r.inputs;
};

const pairBase = { connection, name: "nk0", peerName: "nk0p", mode: "l2", peerNetns: "pod" };
// [field, new value, replaces?]: every field of the resource has a row (a test below checks).
const pairChanges: Array<[string, unknown, boolean]> = [
  // New credentials (another host or port: below) change nothing on the host.
  ["connection", { ...connection, privateKey: "k2" }, false],
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
  ["txQueueLen", 500, false],
  ["peerTxQueueLen", 500, false],
  // Programs swap on the live device; the kernel cannot release one lease: the pair goes.
  ["programs", [{ pin: "/sys/fs/bpf/pod-policy" }], false],
  ["peerPrograms", [{ pin: "/sys/fs/bpf/pod-egress" }], false],
  ["peerLeases", [{ nic: "eth1", queue: 2 }], true],
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
  ["rpFilter", 0, false],
  ["peerRpFilter", 2, false],
];

const singleBase = { connection, name: "s0", netns: "pod", mode: "l2" };
const singleChanges: Array<[string, unknown, boolean]> = [
  ["connection", { ...connection, privateKey: "k2" }, false],
  ["name", "s1", false],
  ["netns", "pod2", false],
  ["mode", "l3", true],
  ["headroom", 64, true],
  ["tailroom", 64, true],
  ["numRxQueues", 3, true],
  ["leases", [{ nic: "eth1", queue: 2 }], true],
  ["numTxQueues", 1, true],
  ["mtu", 1400, false],
  ["txQueueLen", 500, false],
  ["macAddress", "02:00:00:00:00:09", false],
  ["gsoMaxSize", 131072, false],
  ["gsoMaxSegs", 1000, false],
  ["groMaxSize", 131072, false],
  ["gsoIpv4MaxSize", 131072, false],
  ["groIpv4MaxSize", 131072, false],
  ["alias", "xsk", false],
  ["group", 3, false],
  ["rpFilter", 2, false],
  ["up", false, false],
];
// A single device only forwards (check refuses anything else): a state that says otherwise
// (a device changed out of band) is drift that an update sets back.
const singleDrift: Array<[string, unknown, boolean]> = [["policy", "blackhole", false]];

const bindingBase = { connection, deviceName: "nk0", netns: "pod", nic: "eth1", nicQueue: 1, deviceIfindex: 5 };
// The kernel cannot change a lease: every field but the credentials replaces.
const bindingChanges: Array<[string, unknown, boolean]> = [
  ["connection", { ...connection, privateKey: "k2" }, false],
  ["deviceName", "nk1", true],
  ["netns", "pod2", true],
  ["nic", "eth2", true],
  ["nicQueue", 2, true],
  ["deviceIfindex", 6, true],
];

describe("unit: diff (update vs replace)", () => {
  const olds = norm(netkitPairDefinition, pairBase);

  for (const [spec, rows] of [
    [netkitPairDefinition, pairChanges],
    [netkitSingleDefinition, [...singleChanges, ...singleDrift]],
    [rxqBindingDefinition, bindingChanges],
  ] as const)
    it(`${spec.name}: every field has a row in the table below, and every row is a field`, () => {
      const fields = inputKeys(spec);
      assert.deepEqual(
        fields.filter((k) => !rows.some(([f]) => f === k)),
        [],
        "fields without a row",
      );
      assert.deepEqual(
        rows.map(([f]) => f).filter((f) => !fields.includes(f)),
        [],
        "rows without a field",
      );
    });

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

  for (const [field, value, replaces] of singleChanges) {
    it(`NetkitSingle.${field} → ${replaces ? "replace" : "update in place"}`, () => {
      const base = norm(netkitSingleDefinition, singleBase);
      const d = diffState(netkitSingleDefinition, base, norm(netkitSingleDefinition, { ...singleBase, [field]: value }));
      assert.deepEqual([d.changed, d.replaces], [[field], replaces ? [field] : []]);
    });
  }

  for (const [field, drifted, replaces] of singleDrift) {
    it(`NetkitSingle.${field} drifted to ${JSON.stringify(drifted)} → ${replaces ? "replace" : "update in place"}`, () => {
      const base = norm(netkitSingleDefinition, singleBase);
      const d = diffState(netkitSingleDefinition, { ...base, [field]: drifted }, base);
      assert.deepEqual([d.changed, d.replaces], [[field], replaces ? [field] : []]);
    });
  }

  describe("RxqBinding: the kernel cannot change a lease, so every field replaces", () => {
    const base = bindingBase;
    const olds = { ...norm(rxqBindingDefinition, base), queueId: 1, nicIfindex: 3, deviceNetnsId: 0, hostNetnsId: 0 };
    for (const [f, v, replaces] of bindingChanges) {
      it(`RxqBinding.${f} → ${replaces ? "replace (delete first)" : "update in place"}`, async () => {
        const d = await rxqBindingProvider.diff!("id", olds as never, norm(rxqBindingDefinition, { ...base, [f]: v }) as never);
        assert.deepEqual([d.changes, d.replaces, d.deleteBeforeReplace], [true, replaces ? [f] : [], true]);
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
