// The generic diff: update vs replace per field, driven by the spec's metadata.
import assert from "node:assert/strict";
import { diffState } from "../../../provider/spec/diff";
import { checkInputs } from "../../../provider/spec/check";
import { netkitPairSpec } from "../../../provider/resources/netkit-pair.spec";
import { netkitSingleSpec } from "../../../provider/resources/netkit-single.spec";
import type { ResourceSpec } from "../../../provider/spec/resource";

const connection = { host: "10.0.0.1", privateKey: "k", hostKey: "SHA256:" + "a".repeat(43) };
const norm = (spec: ResourceSpec, i: Record<string, unknown>) => {
  const r = checkInputs(spec, i);
  assert.deepEqual(r.failures, []);
  return r.inputs as Record<string, unknown>;
};

const pairBase = { connection, name: "nk0", peerName: "nk0p", mode: "l2", peerNetns: "pod" };
// [field, new value, replaces?]
const pairChanges: Array<[string, unknown, boolean]> = [
  ["name", "nk1", true],
  ["peerName", "nk1p", true],
  ["peerNetns", "pod2", true],
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
];

describe("unit: diff (update vs replace)", () => {
  const olds = norm(netkitPairSpec, pairBase);

  it("identical inputs: no changes", () => {
    const d = diffState(netkitPairSpec, olds, norm(netkitPairSpec, pairBase));
    assert.equal(d.changes, false);
  });

  for (const [field, value, replaces] of pairChanges) {
    it(`NetkitPair.${field} → ${replaces ? "replace" : "update in place"}`, () => {
      const d = diffState(netkitPairSpec, olds, norm(netkitPairSpec, { ...pairBase, [field]: value }));
      assert.equal(d.changes, true);
      assert.deepEqual(d.changed, [field]);
      assert.deepEqual(d.replaces, replaces ? [field] : []);
      assert.equal(d.deleteBeforeReplace, true, "names are unique per netns: delete first");
    });
  }

  it("values the kernel chose (unset in the program) are not drift", () => {
    const state = { ...olds, mtu: 1500, headroom: 0, numRxQueues: 1, macAddress: "02:11:22:33:44:55", ifindex: 7 };
    assert.equal(diffState(netkitPairSpec, state, olds).changes, false);
  });

  it("a value changed out of band shows as drift to revert", () => {
    const d = diffState(netkitPairSpec, { ...olds, policy: "blackhole" }, olds);
    assert.deepEqual(d.changed, ["policy"]);
    assert.deepEqual(d.replaces, []);
  });

  it("new credentials update; another host or port replaces", () => {
    const cred = diffState(netkitPairSpec, olds, norm(netkitPairSpec, { ...pairBase, connection: { ...connection, privateKey: "k2" } }));
    assert.deepEqual([cred.changed, cred.replaces], [["connection"], []]);
    const host = diffState(netkitPairSpec, olds, norm(netkitPairSpec, { ...pairBase, connection: { ...connection, host: "10.0.0.2" } }));
    assert.deepEqual(host.replaces, ["connection"]);
    const port = diffState(netkitPairSpec, olds, norm(netkitPairSpec, { ...pairBase, connection: { ...connection, port: 2222 } }));
    assert.deepEqual(port.replaces, ["connection"]);
  });

  it("the engine's __provider is never diffed", () => {
    assert.equal(diffState(netkitPairSpec, { ...olds, __provider: "a" }, { ...olds, __provider: "b" }).changes, false);
  });

  it("NetkitSingle: netns and queues replace, mtu and up update", () => {
    const base = norm(netkitSingleSpec, { connection, name: "s0", netns: "pod" });
    for (const [f, v, rep] of [["netns", "pod2", true], ["numRxQueues", 3, true], ["mode", "l2", true], ["mtu", 1400, false], ["up", false, false]] as const) {
      const d = diffState(netkitSingleSpec, base, norm(netkitSingleSpec, { connection, name: "s0", netns: "pod", [f]: v }));
      assert.deepEqual(d.replaces, rep ? [f] : [], f);
    }
  });
});
