// What the plugin answers when the engine previews an update (it declares preview support):
// the outputs the update will report, without a host. An in-place change keeps every ifindex,
// so a binding that takes a device's ifindex previews as unchanged; a netns move may not
// (the kernel keeps an ifindex across a move only if it is free in the target netns), and a
// changed program list changes the ids a hook runs.
import assert from "node:assert/strict";
import { netkitPlugin } from "../../../provider/plugin/provider";
import { UNKNOWN, checkInputs } from "../../../provider/definition/check";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import { netkitSingleDefinition } from "../../../provider/resources/netkit-single/definition";
import { rxqBindingDefinition } from "../../../provider/resources/rxq-binding/definition";
import type { ResourceDefinition } from "../../../provider/definition/resource";

const plugin = netkitPlugin("0.0.0", "{}");
const urn = (type: string) => `urn:pulumi:test::p::netkit:index:${type}::r`;
const SIG = "4dabf18193072939515e22adb298388d";
const inputs = (spec: ResourceDefinition, v: Record<string, unknown>) => checkInputs(spec, v).inputs;

describe("unit: plugin preview of an update", () => {
  const singleOlds = {
    name: "nk-xsk",
    netns: "pod1",
    mode: "l3",
    policy: "forward",
    numRxQueues: 3,
    mtu: 1500,
    txQueueLen: 1000,
    up: true,
    ifindex: 7,
    leaseQueueIds: [],
    __declared: ["name", "netns", "mode", "policy", "numRxQueues", "up"],
  };

  it("an MTU change or `up: false` of a single device keeps its ifindex; fields left to the kernel stay as recorded", function () {
    for (const change of [{ mtu: 9000 }, { up: false }, { name: "nk-xsk2" }]) {
      const news = inputs(netkitSingleDefinition, { name: "nk-xsk", netns: "pod1", numRxQueues: 3, ...change });
      const outs = plugin.previewUpdate("id", urn("NetkitSingle"), singleOlds, news);
      assert.equal(outs.ifindex, 7, JSON.stringify(change));
      assert.equal(outs.txQueueLen, 1000, "not declared, not changed: the kernel's value as recorded");
      for (const [k, v] of Object.entries(change)) assert.equal(outs[k], v);
      assert.deepEqual(outs.leaseQueueIds, []);
    }
  });

  it("a netns move makes the ifindex unknown; a field the program no longer sets and the kernel does not choose is absent", function () {
    const news = inputs(netkitSingleDefinition, { name: "nk-xsk", numRxQueues: 3 });
    const outs = plugin.previewUpdate("id", urn("NetkitSingle"), singleOlds, news);
    assert.equal(outs.ifindex, UNKNOWN);
    assert.equal(outs.netns, undefined);
  });

  it("a pair: a peer move makes the peer's ifindex and nsid unknown, not the primary's; a new program list the ids it runs", function () {
    const olds = {
      name: "nk0",
      peerName: "eth0",
      peerNetns: "pod1",
      programs: [{ pin: "/sys/fs/bpf/a" }],
      ifindex: 5,
      peerIfindex: 2,
      peerNetnsId: 0,
      programIds: [40],
      otherProgramIds: [],
      peerProgramIds: [],
      peerOtherProgramIds: [],
      peerLeaseQueueIds: [],
    };
    const same = plugin.previewUpdate(
      "id",
      urn("NetkitPair"),
      olds,
      inputs(netkitPairDefinition, { name: "nk0", peerName: "eth0", peerNetns: "pod1", mtu: 9000, programs: [{ pin: "/sys/fs/bpf/a" }] }),
    );
    assert.deepEqual([same.ifindex, same.peerIfindex, same.peerNetnsId, same.programIds, same.peerProgramIds], [5, 2, 0, [40], []]);
    assert.equal(same.otherProgramIds, UNKNOWN, "what other tools attached is read by the update");
    const moved = plugin.previewUpdate(
      "id",
      urn("NetkitPair"),
      olds,
      inputs(netkitPairDefinition, { name: "nk0", peerName: "eth0", peerNetns: "pod2", programs: [{ pin: "/sys/fs/bpf/b" }] }),
    );
    assert.deepEqual([moved.ifindex, moved.peerIfindex, moved.peerNetnsId, moved.programIds], [5, UNKNOWN, UNKNOWN, UNKNOWN]);
  });

  it("a binding's credentials change keeps every output; the connection goes back as a secret", function () {
    const connection = { host: "10.0.0.1", privateKey: "k2", hostKey: "SHA256:" + "a".repeat(43) };
    const olds = { connection: { ...connection, privateKey: "k" }, deviceName: "nk-xsk", nic: "eth1", nicQueue: 3, deviceIfindex: 7, queueId: 1, nicIfindex: 2 };
    const outs = plugin.previewUpdate(
      "id",
      urn("RxqBinding"),
      olds,
      inputs(rxqBindingDefinition, { connection, deviceName: "nk-xsk", nic: "eth1", nicQueue: 3, deviceIfindex: 7 }),
    );
    assert.deepEqual([outs.queueId, outs.nicIfindex, outs.deviceIfindex], [1, 2, 7]);
    assert.deepEqual((outs.connection as Record<string, unknown>)[SIG] !== undefined, true);
  });
});
