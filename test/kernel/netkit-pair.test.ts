// NetkitPair's controller against a real Linux 7.x kernel in the test-host VM, over SSH:
// create → read back → compare → change → delete → confirm gone, for every attribute.
import assert from "node:assert/strict";
import { netkitPairProvider as provider } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { hostFor } from "../../provider/resources/hosts";
import { createNetkit } from "../../provider/host/netkit-ops";
import { NetkitError, NetlinkError } from "../../provider/errors";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, isUp, linkNames, sysfs } from "../support/netkit";
import type { TestHost } from "../../testhost";

describe("kernel: NetkitPair on a real netkit kernel", function () {
  let host: TestHost;
  const ns = "nkt-pod1";
  let base: Record<string, unknown>;

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
    base = { connection: connectionTo(host), name: "nkt0", peerName: "nkt0p", peerNetns: ns };
  });
  after(async function () {
    await onHost(host, ["ip", "link", "del", "nkt0"]);
    await onHost(host, ["ip", "netns", "del", ns]);
  });

  /** The device's net.ipv4.conf.DEV.rp_filter, as the sysctl reads it (in its netns). */
  const rpFilterOf = async (dev: string, netns?: string) => {
    const cat = ["cat", `/proc/sys/net/ipv4/conf/${dev}/rp_filter`];
    const r = await onHost(host, netns ? ["ip", "netns", "exec", netns, ...cat] : cat);
    return r.stdout.toString().trim();
  };

  const full = () =>
    checked(netkitPairDefinition, {
      ...base,
      mode: "l2",
      policy: "blackhole",
      peerPolicy: "forward",
      scrub: "none",
      peerScrub: "default",
      headroom: 64,
      tailroom: 32,
      peerNumRxQueues: 4,
      numTxQueues: 1,
      mtu: 9000,
      peerMtu: 8000,
      txQueueLen: 500,
      peerTxQueueLen: 700,
      macAddress: "02:00:00:00:aa:01",
      peerMacAddress: "02:00:00:00:aa:02",
      rpFilter: 2,
      peerRpFilter: 1,
      up: true,
      peerUp: false,
    });

  let outs: Record<string, unknown>;

  it("creates a pair with every attribute set, peer in a netns, and reports them as the kernel has them", async function () {
    const r = await provider.create(full() as never);
    outs = r.outs as Record<string, unknown>;
    assert.equal(r.id, `${host.host}:${host.port}/nkt0`);
    const expect = {
      name: "nkt0",
      peerName: "nkt0p",
      mode: "l2",
      policy: "blackhole",
      peerPolicy: "forward",
      scrub: "none",
      peerScrub: "default",
      headroom: 64,
      tailroom: 32,
      peerNumRxQueues: 4,
      numRxQueues: 1,
      numTxQueues: 1,
      peerNumTxQueues: 1,
      mtu: 9000,
      peerMtu: 8000,
      txQueueLen: 500,
      peerTxQueueLen: 700,
      macAddress: "02:00:00:00:aa:01",
      peerMacAddress: "02:00:00:00:aa:02",
      rpFilter: 2,
      peerRpFilter: 1,
      up: true,
      peerUp: false,
    };
    for (const [k, v] of Object.entries(expect)) assert.deepEqual(outs[k], v, k);
    assert.equal(typeof outs.ifindex, "number");
    assert.equal(typeof outs.peerIfindex, "number");
    assert.equal(typeof outs.peerNetnsId, "number", "peer lives in another netns");

    // Independently, through sysfs on the host and inside the pod netns.
    const p = await sysfs(host, "nkt0");
    const q = await sysfs(host, "nkt0p", ns);
    assert.ok(p && q);
    assert.deepEqual([p.ifindex, p.mtu, p.address, isUp(p.flags), p.tx_queue_len], [String(outs.ifindex), "9000", "02:00:00:00:aa:01", true, "500"]);
    assert.deepEqual([q.ifindex, q.mtu, q.address, isUp(q.flags), q.tx_queue_len], [String(outs.peerIfindex), "8000", "02:00:00:00:aa:02", false, "700"]);
    assert.ok(!(await linkNames(host)).includes("nkt0p"), "the peer is not in the host netns");
    assert.deepEqual([await rpFilterOf("nkt0"), await rpFilterOf("nkt0p", ns)], ["2", "1"], "rp_filter as the sysctls read it");
  });

  it("reads back exactly what create reported", async function () {
    const r = await provider.read!(String(outs.ifindex), outs as never);
    assert.deepEqual(r.props, outs);
  });

  it("changes policies, MTUs, transmit queue lengths, MACs, rp_filter and admin state in place", async function () {
    const news = {
      ...full(),
      policy: "forward",
      peerPolicy: "blackhole",
      mtu: 1400,
      peerMtu: 1300,
      txQueueLen: 2000,
      peerTxQueueLen: 0,
      macAddress: "02:00:00:00:bb:01",
      peerMacAddress: "02:00:00:00:bb:02",
      rpFilter: 0,
      peerRpFilter: 2,
      up: false,
      peerUp: true,
    };
    const d = await provider.diff!("id", outs as never, news as never);
    assert.deepEqual(d.replaces, []);
    const r = await provider.update!("id", outs as never, news as never);
    const o = r.outs as Record<string, unknown>;
    for (const k of ["policy", "peerPolicy", "mtu", "peerMtu", "txQueueLen", "peerTxQueueLen", "macAddress", "peerMacAddress", "rpFilter", "peerRpFilter", "up", "peerUp"])
      assert.deepEqual(o[k], news[k as keyof typeof news], k);
    assert.equal(o.ifindex, outs.ifindex, "same device, changed in place");
    const p = await sysfs(host, "nkt0");
    const q = await sysfs(host, "nkt0p", ns);
    assert.deepEqual([p!.mtu, p!.address, isUp(p!.flags), p!.tx_queue_len], ["1400", "02:00:00:00:bb:01", false, "2000"]);
    assert.deepEqual([q!.mtu, q!.address, isUp(q!.flags), q!.tx_queue_len], ["1300", "02:00:00:00:bb:02", true, "0"]);
    assert.deepEqual([await rpFilterOf("nkt0"), await rpFilterOf("nkt0p", ns)], ["0", "2"]);
    outs = o;
  });

  it("read reports an out-of-band change so that the next preview shows drift", async function () {
    await onHost(host, ["ip", "link", "set", "nkt0", "mtu", "1280"]);
    const r = await provider.read!("id", outs as never);
    const props = r.props as Record<string, unknown>;
    assert.equal(props.mtu, 1280);
    const d = await provider.diff!("id", props as never, { ...full(), mtu: 1400 } as never);
    assert.ok(d.changes);
  });

  it("deletes the pair (peer included) and a second delete succeeds because it is gone", async function () {
    await provider.delete!("id", outs as never);
    assert.equal(await sysfs(host, "nkt0"), undefined);
    assert.equal(await sysfs(host, "nkt0p", ns), undefined);
    const r = await provider.read!("id", outs as never);
    assert.equal(r.id, "", "read of a deleted device reports it gone");
    await provider.delete!("id", outs as never);
  });

  it("a name that exists already is refused with host, operation, errno and kernel message; nothing leaks", async function () {
    await onHost(host, ["ip", "link", "add", "nkt-busy", "type", "dummy"]);
    try {
      const before = await linkNames(host);
      const beforeNs = await linkNames(host, ns);
      await assert.rejects(provider.create(checked(netkitPairDefinition, { ...base, name: "nkt-busy" }) as never), (e: unknown) => {
        assert.ok(e instanceof NetlinkError, String(e));
        assert.match(e.message, new RegExp(`${host.port}.*create netkit nkt-busy failed: EEXIST.*already exists`));
        return true;
      });
      assert.deepEqual(await linkNames(host), before);
      assert.deepEqual(await linkNames(host, ns), beforeNs);
    } finally {
      await onHost(host, ["ip", "link", "del", "nkt-busy"]);
    }
  });

  it("a peer netns that does not exist is a clear error and nothing is created", async function () {
    const before = await linkNames(host);
    await assert.rejects(provider.create(checked(netkitPairDefinition, { ...base, peerNetns: "nkt-missing" }) as never), (e: unknown) => {
      assert.ok(e instanceof NetkitError);
      assert.match(e.message, /\/run\/netns\/nkt-missing: ENOENT.*does not exist/);
      return true;
    });
    assert.deepEqual(await linkNames(host), before);
  });

  it("a failure after the kernel created the pair rolls it back", async function () {
    const client = await hostFor(connectionTo(host));
    await assert.rejects(
      createNetkit(client, {
        primary: { name: "nkt-rb" },
        peer: { name: "nkt-rbp" },
        create: { mode: "l3", pairing: "pair", primary: { name: "nkt-rb" }, peer: { name: "nkt-rbp" } },
        primaryUp: true,
        peerUp: true,
        verify: (_p, _q, on) => new NetkitError(`${on.host}: simulated failure after creation`),
      }),
      /simulated failure after creation; the device was deleted again/,
    );
    const names = await linkNames(host);
    assert.ok(!names.includes("nkt-rb") && !names.includes("nkt-rbp"), names.join(" "));
  });

  it("the kernel's refusal to change a fixed parameter reaches the user with its extack text", async function () {
    const { changeLinkRequest } = await import("../../provider/netlink/link");
    const { u32 } = await import("../../provider/netlink/attributes");
    const { IFLA_NETKIT } = await import("../../provider/netlink/constants");
    const r0 = await provider.create(checked(netkitPairDefinition, { ...base, peerNetns: undefined }) as never);
    try {
      const [res] = await (
        await hostFor(connectionTo(host))
      ).request({
        ops: [{ op: "netlink", message: changeLinkRequest("nkt0", { kind: { kind: "netkit", data: [u32(IFLA_NETKIT.MODE, 0)] } }) }],
      });
      assert.ok(res?.kind === "netlink");
      assert.equal(res.status.errno, 13 /* EACCES */);
      assert.match(res.status.message ?? "", /operating mode cannot be changed after device creation/);
    } finally {
      await provider.delete!("id", r0.outs as never);
    }
  });
});
