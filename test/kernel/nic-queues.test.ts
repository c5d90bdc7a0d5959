// NicQueues' controller against the real 7.2 kernel with a netdevsim NIC (channels, rings with
// header split and its threshold; no RSS, no flow rules): create records what the NIC had,
// refresh reads drift that `ethtool` made by hand, update repairs it in place, the kernel's
// refusals (a queue in use, a value beyond the NIC's maximum, an op the driver lacks) come
// before anything changes, and delete puts back exactly what was there. Every effect is read
// back with the kernel's own `ethtool`, not with the provider's codec.
import assert from "node:assert/strict";
import { nicQueuesProvider as provider } from "../../provider/resources/nic-queues/controller";
import { nicQueuesDefinition } from "../../provider/resources/nic-queues/definition";
import { netkitSingleProvider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { CapabilityError } from "../../provider/errors";
import { hostFor } from "../../provider/resources/hosts";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked } from "../support/netkit";
import { addNetdevsim, removeNetdevsim } from "../support/netdevsim";
import { ethtool, ethtoolFails, nicSettings, type EthtoolView } from "../support/nic";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

type Outs = Record<string, unknown>;

describe("kernel: NicQueues on netdevsim (channels, rings, header split), read back with ethtool", function () {
  let host: TestHost;
  const NSIM = 7321;
  const nic = "nkn-nic0";
  const pod = "nkn-pod";
  let original: EthtoolView;
  let outs: Outs;
  let id: string;

  const inputs = (v: Record<string, unknown>) => checked(nicQueuesDefinition, { connection: connectionTo(host), nic, ...v }) as never;

  before(async function () {
    host = await sharedHost();
    const f = await (await hostFor(connectionTo(host))).nicFacts();
    if (!f.has.ethtool) skipBecause(this, `kernel ${f.kernelRelease} has no ethtool netlink family`);
    await addNetdevsim(host, NSIM, 4, nic);
    await onHost(host, ["ip", "netns", "add", pod]);
    original = await nicSettings(host, nic);
  });

  after(async function () {
    await onHost(host, ["ip", "netns", "del", pod]);
    await removeNetdevsim(host, NSIM);
  });

  it("the NIC side is probed from the kernel's policies: header split, its threshold, per-NAPI settings", async function () {
    const f = await (await hostFor(connectionTo(host))).nicFacts();
    assert.deepEqual(
      [f.has.ethtool, f.has.tcpDataSplit, f.has.hdsThresh, f.has.rssNetlink, f.has.napiSet, f.has.napiIrqSuspend, f.has.napiThreaded, typeof f.ethtoolFamilyId],
      [true, true, true, true, true, true, true, "number"],
    );
    // netdevsim as the kernel sets it up: 4 combined channels, RX ring 512, split reported on, threshold 0.
    assert.deepEqual(original, { combined: 4, rxRing: 512, tcpDataSplit: "on", hdsThresh: 0 });
  });

  it("create sets channels, RX ring, header split and threshold, and records what was there", async function () {
    const r = await provider.create(inputs({ combinedChannels: 3, rxRing: 64, tcpDataSplit: "enabled", hdsThresh: 0 }));
    id = r.id;
    outs = r.outs as Outs;
    assert.equal(id, `${host.host}:${host.port}/${nic}`);
    assert.deepEqual(await nicSettings(host, nic), { combined: 3, rxRing: 64, tcpDataSplit: "on", hdsThresh: 0 });
    assert.deepEqual(outs.previous, { combinedChannels: 4, rxRing: 512, tcpDataSplit: "enabled", hdsThresh: 0 });
    assert.deepEqual([outs.combinedChannels, outs.rxRing, outs.tcpDataSplit, outs.hdsThresh, outs.rxQueues], [3, 64, "enabled", 0, 3]);
    assert.equal(outs.nicIfindex, Number((await onHost(host, ["cat", `/sys/class/net/${nic}/ifindex`])).stdout.toString().trim()));
  });

  it("refresh reads it back unchanged", async function () {
    const r = await provider.read!(id, outs as never);
    assert.deepEqual(r.props, outs);
  });

  it("refresh shows what `ethtool -L/-G` changed by hand, and update puts the declared values back in place", async function () {
    await ethtool(host, "-L", nic, "combined", "2");
    await ethtool(host, "-G", nic, "rx", "256", "hds-thresh", "128");
    const r = await provider.read!(id, outs as never);
    assert.deepEqual([r.inputs!.combinedChannels, r.inputs!.rxRing, r.inputs!.hdsThresh], [2, 256, 128], "drift as inputs: the next preview shows actual => declared");
    const d = await provider.diff!(id, r.props as never, inputs({ combinedChannels: 3, rxRing: 64, tcpDataSplit: "enabled", hdsThresh: 0 }));
    assert.deepEqual([...(d.changes ? ((d as { changed: string[] }).changed ?? []) : [])].sort(), ["combinedChannels", "hdsThresh", "rxRing"]);
    assert.deepEqual(d.replaces, [], "in place");
    const u = await provider.update!(id, r.props as never, inputs({ combinedChannels: 3, rxRing: 64, tcpDataSplit: "enabled", hdsThresh: 0 }));
    assert.deepEqual(await nicSettings(host, nic), { combined: 3, rxRing: 64, tcpDataSplit: "on", hdsThresh: 0 });
    assert.deepEqual((u.outs as Outs).previous, outs.previous, "what delete restores is still what was there before the resource");
    outs = u.outs as Outs;
  });

  it("a setting declared later records what the NIC had for it then", async function () {
    // Channels 3 → 4 and ring 64 → 128: update in place; nothing new to record.
    const u = await provider.update!(id, outs as never, inputs({ combinedChannels: 4, rxRing: 128, tcpDataSplit: "enabled", hdsThresh: 0 }));
    assert.deepEqual((await nicSettings(host, nic)).combined, 4);
    outs = u.outs as Outs;
    assert.deepEqual(outs.previous, { combinedChannels: 4, rxRing: 512, tcpDataSplit: "enabled", hdsThresh: 0 });
  });

  // (The other maxima, rxRing and hdsThresh, are the same rule: test/unit/resources/nic-side.test.ts.)
  it("refusals before anything changes: beyond the NIC's maximum, RSS on a NIC without it, rxChannels on a NIC with only combined", async function () {
    const was = await nicSettings(host, nic);
    const refused = async (v: Record<string, unknown>, re: RegExp, capability = false) => {
      await assert.rejects(provider.update!(id, outs as never, inputs({ combinedChannels: 4, rxRing: 128, tcpDataSplit: "enabled", hdsThresh: 0, ...v })), (e: Error) => {
        assert.match(e.message, re);
        assert.equal(e instanceof CapabilityError, capability, `${e.name}: ${e.message}`);
        return true;
      });
      assert.deepEqual(await nicSettings(host, nic), was, "nothing changed");
    };
    await refused({ combinedChannels: 5 }, /nkn-nic0 has at most 4 combined channels: 5 is too many/);
    await refused({ rssEqual: 2 }, /NIC nkn-nic0 has no RSS indirection table \(ETHTOOL_MSG_RSS_GET \(ethtool -x\) answered EOPNOTSUPP\); rssEqual needs it/, true);
    await refused({ rxChannels: 1 }, /NIC nkn-nic0 has no RX-only channels \(ETHTOOL_MSG_CHANNELS_GET reports no rx-max; set combinedChannels\); rxChannels needs it/, true);
  });

  it("a channel count that would remove a leased queue is refused, naming the lease", async function () {
    const d = await netkitSingleProvider.create(
      checked(netkitSingleDefinition, { connection: connectionTo(host), name: "nkn-xsk", netns: pod, leases: [{ nic, queue: 3 }] }) as never,
    );
    try {
      await assert.rejects(
        provider.update!(id, outs as never, inputs({ combinedChannels: 2, rxRing: 128, tcpDataSplit: "enabled", hdsThresh: 0 })),
        /nkn-nic0 would keep 2 RX queues, but queue 3 is in use by a lease \(netkit ifindex \d+ in the netns with nsid \d+, its queue 1\): the kernel refuses to remove a queue in use/,
      );
      assert.equal((await nicSettings(host, nic)).combined, 4, "nothing changed");
      // The kernel's own refusal, for the record: ethtool cannot do it either.
      assert.match(await ethtoolFails(host, "-L", nic, "combined", "2"), /./, "the kernel refuses to remove a leased queue");
    } finally {
      await netkitSingleProvider.delete!((d as { id: string }).id, (d as { outs: unknown }).outs as never);
    }
  });

  it("delete restores exactly what was there before: channels, ring, threshold, header split", async function () {
    await provider.delete!(id, outs as never);
    assert.deepEqual(await nicSettings(host, nic), original);
  });

  it("delete of a NIC that vanished is a warning, not an error", async function () {
    const r = await provider.create(inputs({ rxRing: 100 }));
    await removeNetdevsim(host, NSIM);
    await provider.delete!(r.id, r.outs as never);
    await addNetdevsim(host, NSIM, 4, nic);
  });
});
