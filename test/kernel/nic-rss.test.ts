// The NIC side on a NIC that netdevsim cannot stand in for: virtio-net offering RSS with 4
// queue pairs (testhost's rssNic, eth1). NicQueues takes RSS off the queues a lease would use
// (`equal N`, and `weight …` exactly as ethtool computes it), read back with the kernel's own
// `ethtool -x`, and the effect seen where it matters: 200 flows sent in through the NIC's tap
// land only on the queues RSS spreads over (the kernel's per-queue counters, qstats-get).
// Delete puts the driver's default spread back over the restored channels. QueueNapi on a
// virtio queue's NAPI, and the refusals of what virtio-net lacks: flow rules, header split.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { nicQueuesProvider } from "../../provider/resources/nic-queues/controller";
import { nicQueuesDefinition } from "../../provider/resources/nic-queues/definition";
import { flowRuleProvider } from "../../provider/resources/flow-rule/controller";
import { flowRuleDefinition } from "../../provider/resources/flow-rule/definition";
import { weightedIndir } from "../../provider/netlink/ethtool";
import { CapabilityError } from "../../provider/errors";
import { connectionTo, onHost, RSS_NIC_NAME, sharedHost } from "../support/shared-host";
import { checked } from "../support/netkit";
import { ethtool, ethtoolFails, nicSettings, rssTable, rxPacketsPerQueue, shares, type EthtoolView } from "../support/nic";
import type { TestHost } from "../../testhost";

type Outs = Record<string, unknown>;
const nic = RSS_NIC_NAME;

// Raw UDP/IPv4 frames of `n` flows (source ports 10000 …) sent out of the tap to eth1's MAC.
const FLOWS = String.raw`
import socket, struct, sys
dst = bytes.fromhex(sys.argv[1].replace(":", "")); n = int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("nkrss", 0))
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return ~t & 0xffff
for i in range(n):
    udp = struct.pack("!HHHH", 10000 + i, 9999, 12, 0) + b"ping"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, bytes([10, 9, 9, 1]), bytes([10, 9, 9, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    s.send(dst + bytes.fromhex("020000000001") + b"\x08\x00" + ip + udp)
`;

describe("kernel: RSS, channels and rings on virtio-net with RSS (the test host's eth1)", function () {
  let host: TestHost;
  let ifindex: number;
  let original: EthtoolView;
  let outs: Outs;
  let id: string;

  const inputs = (v: Record<string, unknown>) => checked(nicQueuesDefinition, { connection: connectionTo(host), nic, ...v }) as never;
  const perQueue = () => rxPacketsPerQueue(host, ifindex);
  /** Sends 200 flows into eth1 and returns how many packets each RX queue got. */
  const spread = async (): Promise<number[]> => {
    const before = await perQueue();
    const mac = (await onHost(host, ["cat", `/sys/class/net/${nic}/address`])).stdout.toString().trim();
    execFileSync("nsenter", [`--net=${host.rssNicNetns!}`, "sh", "-c", 'ip link set nkrss up && python3 -c "$1" "$2" 200', "sh", FLOWS, mac]);
    let after: number[] = [];
    for (let i = 0; i < 50; i++) {
      after = await perQueue();
      if (after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0) >= 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return after.map((n, q) => n - (before[q] ?? 0));
  };

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "link", "set", nic, "up"]);
    ifindex = Number((await onHost(host, ["cat", `/sys/class/net/${nic}/ifindex`])).stdout.toString().trim());
    original = await nicSettings(host, nic);
  });

  it("the NIC as virtio-net starts: one combined channel of four, a 256-entry RX ring, no header split", function () {
    assert.deepEqual(original, { combined: 1, rxRing: 256 });
  });

  it("NicQueues: 4 channels, RSS over queues 0-1 only (`equal 2`), RX ring 128; ethtool reads it back and traffic lands only on queues 0-1", async function () {
    const r = await nicQueuesProvider.create(inputs({ combinedChannels: 4, rssEqual: 2, rxRing: 128 }));
    id = r.id;
    outs = r.outs as Outs;
    assert.deepEqual(await nicSettings(host, nic), { combined: 4, rxRing: 128 });
    const table = await rssTable(host, nic);
    assert.deepEqual(shares(table), [table.length / 2, table.length / 2], "every bucket on queue 0 or 1");
    assert.deepEqual(outs.previous, { combinedChannels: 1, rxRing: 256, rssDefault: true });
    assert.equal(outs.rssEqual, 2);
    const got = await spread();
    assert.equal(got[0]! + got[1]!, 200, `all 200 flows on queues 0-1: ${JSON.stringify(got)}`);
    assert.ok(got[0]! > 0 && got[1]! > 0, `RSS spreads over both: ${JSON.stringify(got)}`);
    assert.deepEqual([got[2] ?? 0, got[3] ?? 0], [0, 0], "queues 2-3 (to lease) get nothing from RSS");
  });

  it("refresh shows `ethtool -X … default` by hand as drift (an equal spread over all 4), and update takes RSS off queues 2-3 again", async function () {
    await ethtool(host, "-X", nic, "default");
    const r = await nicQueuesProvider.read!(id, outs as never);
    assert.equal(r.inputs!.rssEqual, 4, "the default spread over 4 queues reads as equal 4");
    const d = await nicQueuesProvider.diff!(id, r.props as never, inputs({ combinedChannels: 4, rssEqual: 2, rxRing: 128 }));
    assert.deepEqual([(d as { changed: string[] }).changed, d.replaces], [["rssEqual"], []]);
    outs = (await nicQueuesProvider.update!(id, r.props as never, inputs({ combinedChannels: 4, rssEqual: 2, rxRing: 128 }))).outs as Outs;
    assert.deepEqual(shares(await rssTable(host, nic)).slice(2), [], "queues 2-3 out of RSS again");
  });

  it("the weights form is ethtool's own table: `weight 1 3` spreads a quarter on queue 0, the rest on queue 1", async function () {
    outs = (await nicQueuesProvider.update!(id, outs as never, inputs({ combinedChannels: 4, rssWeights: [1, 3], rxRing: 128 }))).outs as Outs;
    const table = await rssTable(host, nic);
    assert.deepEqual(table, weightedIndir(table.length, [1, 3]));
    // ethtool computing the same weights writes the same table.
    await ethtool(host, "-X", nic, "weight", "1", "3");
    assert.deepEqual(await rssTable(host, nic), table);
    assert.deepEqual((await nicQueuesProvider.read!(id, outs as never)).inputs!.rssWeights, [1, 3]);
  });

  it("fewer channels than the RSS table names are refused by check; the kernel refuses them too (ethtool -L)", async function () {
    const c = await nicQueuesProvider.check!({} as never, { connection: connectionTo(host), nic, combinedChannels: 1, rssWeights: [1, 3], rxRing: 128 } as never);
    assert.deepEqual(
      c.failures?.map((f) => [f.property, f.reason]),
      [["rssWeights", "2 weights for the 1 RX queues the channels declare"]],
    );
    assert.match(await ethtoolFails(host, "-L", nic, "combined", "1"), /indirection table/);
    assert.equal((await nicSettings(host, nic)).combined, 4);
  });

  it("what virtio-net lacks is refused naming the NIC, the field and the op: header split, flow rules", async function () {
    await assert.rejects(nicQueuesProvider.update!(id, outs as never, inputs({ combinedChannels: 4, rssWeights: [1, 3], rxRing: 128, tcpDataSplit: "enabled" })), (e: Error) => {
      assert.ok(e instanceof CapabilityError, e.message);
      assert.match(
        e.message,
        /NIC eth1 has no settable TCP header\/data split \(ETHTOOL_MSG_RINGS_SET \(ethtool -G\) answered EOPNOTSUPP \(kernel: setting TCP data split is not supported\)\); tcpDataSplit needs it/,
      );
      return true;
    });
    await assert.rejects(
      flowRuleProvider.create(checked(flowRuleDefinition, { connection: connectionTo(host), nic, flowType: "tcp6", dstPort: 9999, queue: 3 }) as never),
      (e: Error) => {
        assert.ok(e instanceof CapabilityError, e.message);
        assert.match(
          e.message,
          /NIC eth1 has no flow steering rules \(ETHTOOL_GRXCLSRLCNT \(ethtool -n, -N\) answered EOPNOTSUPP: its driver implements no ntuple filters\); FlowRule needs them/,
        );
        return true;
      },
    );
  });

  it("delete restores the channels, the ring and the driver's default spread over the restored channels", async function () {
    await nicQueuesProvider.delete!(id, outs as never);
    assert.deepEqual(await nicSettings(host, nic), original);
    const table = await rssTable(host, nic);
    assert.deepEqual(shares(table), [table.length], "one queue: every bucket on it, as the driver spreads it");
  });
});
