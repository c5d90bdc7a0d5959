// The NIC-side resources without a host: which changes update in place and which replace, the
// inputs check refuses, the order in which a NicQueues change reaches the kernel, the refusals a
// survey shows (naming the field, the NIC and the op), what is recorded and restored, and where
// a flow rule goes. The kernel tier proves the same rules on netdevsim and virtio-net.
import assert from "node:assert/strict";
import { checkInputs } from "../../../provider/definition/check";
import { diffState } from "../../../provider/definition/diff";
import { inputKeys, type ResourceDefinition } from "../../../provider/definition/resource";
import { CapabilityError } from "../../../provider/errors";
import { nicQueuesDefinition } from "../../../provider/resources/nic-queues/definition";
import { queueNapiDefinition } from "../../../provider/resources/queue-napi/definition";
import { flowRuleDefinition } from "../../../provider/resources/flow-rule/definition";
import { plan, previousOf, refusals, settingsOf, type NicNow } from "../../../provider/resources/nic-queues/plan";
import { chooseLocation, sameRule } from "../../../provider/resources/flow-rule/host";
import { defaultIndir, equalIndir } from "../../../provider/netlink/ethtool";
import type { NicSurvey } from "../../../provider/host/nic";
import type { QueueInfo } from "../../../provider/netlink/netdev";

const connection = { host: "10.0.0.1", privateKey: "k", hostKey: "SHA256:" + "a".repeat(43) };
const norm = (spec: ResourceDefinition, i: Record<string, unknown>) => {
  const r = checkInputs(spec, i);
  assert.deepEqual(r.failures, [], JSON.stringify(i));
  return r.inputs;
};

// [resource, base inputs, [field, new value, replaces?] for every field]
const changes: Array<[ResourceDefinition, Record<string, unknown>, Array<[string, unknown, boolean]>]> = [
  [
    nicQueuesDefinition,
    { connection, nic: "eth1", combinedChannels: 4, rxRing: 512, tcpDataSplit: "enabled", hdsThresh: 0, rssEqual: 2 },
    [
      ["connection", { ...connection, privateKey: "k2" }, false],
      ["nic", "eth2", true],
      ["combinedChannels", 8, false],
      ["rxChannels", 1, false],
      ["rxRing", 64, false],
      ["tcpDataSplit", "auto", false],
      ["hdsThresh", 128, false],
      ["rssEqual", 3, false],
      ["rssWeights", [1, 1], false],
    ],
  ],
  [
    queueNapiDefinition,
    { connection, nic: "eth1", queue: 3, deferHardIrqs: 2, groFlushTimeout: 20000 },
    [
      ["connection", { ...connection, privateKey: "k2" }, false],
      ["nic", "eth2", true],
      ["queue", 2, true],
      ["deferHardIrqs", 100, false],
      ["groFlushTimeout", 0, false],
      ["irqSuspendTimeout", 20000000, false],
      ["threaded", "enabled", false],
    ],
  ],
  [
    flowRuleDefinition,
    { connection, nic: "eth1", flowType: "tcp6", dstPort: 9999, queue: 3 },
    [
      ["connection", { ...connection, privateKey: "k2" }, false],
      ["nic", "eth2", true],
      ["flowType", "udp6", true],
      ["srcIp", "2001:db8::1", true],
      ["dstIp", "2001:db8::2", true],
      ["srcPort", 1, true],
      ["dstPort", 10000, true],
      ["queue", 2, true],
      ["location", 5, true],
    ],
  ],
];

const rx = (id: number, more: Partial<QueueInfo> = {}): QueueInfo => ({ ifindex: 4, type: "rx", id, xsk: false, memoryProvider: false, napiId: 8192 + id, ...more });
/** netdevsim with 4 queues as the 7.2 test host reports it. */
const survey = (over: Partial<NicSurvey> = {}): NicSurvey => ({
  link: { ifindex: 4, name: "eth1", up: true, parentDevice: "netdevsim1" },
  channels: { ok: { combined: { count: 4, max: 4 } } },
  rings: { ok: { rx: 512, rxMax: 4096, tx: 512, txMax: 4096, tcpDataSplit: "enabled", hdsThresh: 0, hdsThreshMax: 1024 } },
  rss: { missing: { op: "ETHTOOL_MSG_RSS_GET (ethtool -x)", errno: "EOPNOTSUPP" } },
  rxQueues: [0, 1, 2, 3].map((i) => rx(i)),
  napis: new Map(),
  ...over,
});

describe("unit: the NIC-side resources", () => {
  for (const [spec, base, rows] of changes) {
    describe(`${spec.name}: update in place or replace, per field`, () => {
      it("every field has a row", () => assert.deepEqual(rows.map(([f]) => f).sort(), inputKeys(spec).sort()));
      for (const [f, v, replaces] of rows)
        it(`${spec.name}.${f} → ${replaces ? "replace (delete first)" : "update in place"}`, () => {
          const d = diffState(spec, norm(spec, base), norm(spec, { ...base, [f]: v, ...(f === "rssWeights" ? { rssEqual: undefined } : {}) }));
          assert.deepEqual([d.changed.includes(f), d.replaces?.includes(f), d.deleteBeforeReplace], [true, replaces, true]);
        });
    });
  }

  it("check refuses what the kernel would, naming the field", () => {
    const cases: Array<[ResourceDefinition, Record<string, unknown>, string, RegExp]> = [
      [nicQueuesDefinition, { nic: "eth1", rssEqual: 2, rssWeights: [1, 1] }, "rssWeights", /give rssEqual or rssWeights, not both/],
      [nicQueuesDefinition, { nic: "eth1", rssWeights: [0, 0] }, "rssWeights", /at least one weight must be above 0/],
      [nicQueuesDefinition, { nic: "eth1", combinedChannels: 2, rssEqual: 3 }, "rssEqual", /3 is more than the 2 RX queues the channels declare/],
      [nicQueuesDefinition, { nic: "eth1", rxChannels: 0 }, "rxChannels", /need combinedChannels declared too/],
      [nicQueuesDefinition, { nic: "eth1", combinedChannels: 0 }, "combinedChannels", />=1/],
      [nicQueuesDefinition, { nic: "eth1", tcpDataSplit: "on" }, "tcpDataSplit", /enabled|disabled|auto/],
      [queueNapiDefinition, { nic: "eth1", queue: 1, threaded: "yes" }, "threaded", /disabled|enabled|busy-poll/],
      [queueNapiDefinition, { nic: "eth1", queue: 1, deferHardIrqs: -1 }, "deferHardIrqs", />=0/],
      [flowRuleDefinition, { nic: "eth1", flowType: "tcp4", dstIp: "2001:db8::1", queue: 1 }, "dstIp", /must be an IPv4 address for flow type tcp4/],
      [flowRuleDefinition, { nic: "eth1", flowType: "tcp6", srcIp: "nope", queue: 1 }, "srcIp", /IPv4 or IPv6 address/],
      [flowRuleDefinition, { nic: "eth1", flowType: "tcp6", dstPort: 70000, queue: 1 }, "dstPort", /<=65535/],
      [flowRuleDefinition, { nic: "eth1", flowType: "icmp", queue: 1 }, "flowType", /tcp4/],
    ];
    for (const [spec, inputs, property, reason] of cases) {
      const hit = checkInputs(spec, { connection, ...inputs }).failures.find((f) => f.property === property);
      assert.ok(hit, `${spec.name} ${JSON.stringify(inputs)}: no failure on ${property}`);
      assert.match(hit.reason, reason);
    }
  });

  describe("NicQueues: the order the kernel enforces", () => {
    const now: NicNow = { channels: { combined: { count: 2, max: 8 } }, rings: { rx: 512, rxMax: 4096 }, rss: { indir: defaultIndir(8, 2) } };
    it("channels grow before the RSS table names the new queues", () => {
      assert.deepEqual(
        plan(now, { combinedChannels: 4, rssTable: equalIndir(8, 3) }).map((s) => s.kind),
        ["channels", "rss"],
      );
    });
    it("the RSS table leaves the queues before the channels shrink away from them", () => {
      const wide: NicNow = { ...now, channels: { combined: { count: 4, max: 8 } }, rss: { indir: equalIndir(8, 4) } };
      assert.deepEqual(
        plan(wide, { combinedChannels: 2, rssTable: [] }).map((s) => s.kind),
        ["rss", "channels"],
      );
    });
    it("rings and header split between; the split is sent whenever declared (a driver may report on under auto)", () => {
      const steps = plan({ ...now, rings: { rx: 512, rxMax: 4096, tcpDataSplit: "enabled", hdsThresh: 0 } }, { rxRing: 64, tcpDataSplit: "enabled", hdsThresh: 0 });
      assert.deepEqual(steps, [{ kind: "rings", rx: 64, tcpDataSplit: "enabled" }]);
    });
    it("nothing to do: no step; a reset to the driver's default is always sent when asked", () => {
      assert.deepEqual(plan(now, { combinedChannels: 2, rxRing: 512 }), []);
      assert.deepEqual(plan(now, { rssTable: [] }), [{ kind: "rss", table: [] }]);
    });
  });

  describe("NicQueues: what is recorded, and what a restore plans", () => {
    it("records each declared setting as the NIC had it; a default RSS spread as the default", () => {
      const p = previousOf(
        { channels: { combined: { count: 4, max: 4 } }, rings: { rx: 512, rxMax: 4096 }, rss: { indir: defaultIndir(128, 4) } },
        new Set(["combinedChannels", "rxRing", "tcpDataSplit", "rss"] as const),
      );
      assert.deepEqual(p, { combinedChannels: 4, rxRing: 512, tcpDataSplit: "auto", rssDefault: true });
      assert.deepEqual(settingsOf(p), { combinedChannels: 4, rxRing: 512, tcpDataSplit: "auto", rssTable: [] });
    });
    it("an RSS table someone had set is restored as it was", () => {
      const table = equalIndir(8, 3);
      const p = previousOf({ channels: { combined: { count: 4, max: 4 } }, rss: { indir: table } }, new Set(["rss"] as const));
      assert.deepEqual(p, { rssTable: table });
    });
  });

  describe("NicQueues: refusals from the survey, each naming its field", () => {
    const want = (v: object) => refusals("root@h:22", "eth1", survey(), v);
    it("a driver without the op: a CapabilityError naming the NIC, the field and the op", () => {
      const [r] = want({ rssTable: [0, 1], rssDeclared: "rssEqual", rssQueues: 2 });
      assert.equal(r!.field, "rssEqual");
      assert.ok(r!.error instanceof CapabilityError);
      assert.equal(r!.error.message, "root@h:22: NIC eth1 has no RSS indirection table (ETHTOOL_MSG_RSS_GET (ethtool -x) answered EOPNOTSUPP); rssEqual needs it");
    });
    it("beyond the NIC's maxima", () => {
      assert.deepEqual(
        want({ combinedChannels: 5, rxRing: 8192, hdsThresh: 2048 }).map((r) => [r.field, r.error.message]),
        [
          ["combinedChannels", "root@h:22: eth1 has at most 4 combined channels: 5 is too many"],
          ["rxRing", "root@h:22: eth1's RX ring holds at most 4096 descriptors: 8192 is too many"],
          ["hdsThresh", "root@h:22: eth1's header/data split threshold is at most 1024: 2048 is too large"],
        ],
      );
    });
    it("a channel count that would remove queues in use names each one's user", () => {
      const s = survey({
        rxQueues: [rx(0), rx(1), rx(2, { xsk: true }), rx(3, { lease: { ifindex: 9, queueId: 1, netnsId: 2 }, memoryProvider: true, ioUring: true })],
      });
      assert.deepEqual(
        refusals("root@h:22", "eth1", s, { combinedChannels: 2 }).map((r) => r.error.message),
        [
          "root@h:22: eth1 would keep 2 RX queues, but queue 2 is in use by an AF_XDP socket: the kernel refuses to remove a queue in use; end that first",
          "root@h:22: eth1 would keep 2 RX queues, but queue 3 is in use by a lease (netkit ifindex 9 in the netns with nsid 2, its queue 1) and io_uring zero-copy receive (an io_uring ifq): the kernel refuses to remove a queue in use; end that first",
        ],
      );
    });
    it("the header split the kernel refuses under a memory provider names the queue that holds it", () => {
      const s = survey({
        rxQueues: [rx(0), rx(1, { memoryProvider: true, ioUring: true })],
        ringsRefusal: { op: "ETHTOOL_MSG_RINGS_SET (ethtool -G)", errno: "EINVAL", extack: "can't disable tcp-data-split while device has memory provider enabled" },
      });
      const [r] = refusals("root@h:22", "eth1", s, { tcpDataSplit: "disabled" });
      assert.equal(r!.field, "tcpDataSplit");
      assert.ok(!(r!.error instanceof CapabilityError), "the NIC can; its state forbids it now");
      assert.match(r!.error.message, /refuses tcpDataSplit: .*memory provider enabled\): held by queue 1 \(io_uring zero-copy receive/);
    });
    it("a NIC that is not there, or is virtual", () => {
      assert.match(refusals("h", "eth9", { rxQueues: [], napis: new Map() }, { rxRing: 1 })[0]!.error.message, /NIC eth9 does not exist/);
      assert.match(refusals("h", "nk0", survey({ link: { ifindex: 4, name: "nk0", up: true, kind: "netkit" } }), { rxRing: 1 })[0]!.error.message, /is a virtual device/);
    });
  });

  describe("FlowRule: where a rule goes", () => {
    it("the declared slot if free, the driver's pick where it picks, else the lowest free slot", () => {
      assert.equal(chooseLocation(5, { tableSize: 16, driverPicksLocation: false }, [1, 2]), 5);
      assert.match(String(chooseLocation(2, { tableSize: 16, driverPicksLocation: false }, [1, 2])), /holds another rule/);
      assert.match(String(chooseLocation(16, { tableSize: 16, driverPicksLocation: false }, [])), /beyond the NIC's rule table/);
      assert.equal(chooseLocation(undefined, { tableSize: 16, driverPicksLocation: true }, []), 0xffffffff);
      assert.equal(chooseLocation(undefined, { tableSize: 4, driverPicksLocation: false }, [0, 1, 3]), 2);
      assert.match(String(chooseLocation(undefined, { tableSize: 2, driverPicksLocation: false }, [0, 1])), /full/);
    });
    it("a rule is ours only while flow and queue are as declared and nothing else is set", () => {
      const r = { flowType: "tcp6" as const, dstPort: 9999, queue: 3 };
      assert.equal(sameRule({ ...r, location: 1 }, r), true);
      assert.equal(sameRule({ ...r, location: 1, queue: 2 }, r), false);
      assert.equal(sameRule({ ...r, location: 1, other: "a VF action" }, r), false);
    });
  });
});
