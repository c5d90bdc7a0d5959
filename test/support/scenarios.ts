// Controller lifecycles, written once and run two ways: live against the kernel tier's test
// host (recording the relay's traffic when NETKIT_RECORD=1), and replayed from that recording
// by the controller tier (test/controllers/). Each scenario drives the controllers as the
// engine would (check → create → read → diff → update → delete, import) and returns what it
// observed; the replay must observe exactly what the kernel run did. Changes made "by hand"
// on the host go through `outOfBand`, which a replay skips: the recorded replies show them.
import assert from "node:assert/strict";
import type { ConnectionInput } from "../../provider/connection";
import { netkitPairProvider } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { netkitSingleProvider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { rxqBindingProvider } from "../../provider/resources/rxq-binding/controller";
import { rxqBindingDefinition } from "../../provider/resources/rxq-binding/definition";
import { setConnectionDefaults } from "../../provider/runtime";
import { nicQueuesProvider } from "../../provider/resources/nic-queues/controller";
import { nicQueuesDefinition } from "../../provider/resources/nic-queues/definition";
import { queueNapiProvider } from "../../provider/resources/queue-napi/controller";
import { queueNapiDefinition } from "../../provider/resources/queue-napi/definition";
import { flowRuleProvider } from "../../provider/resources/flow-rule/controller";
import { flowRuleDefinition } from "../../provider/resources/flow-rule/definition";
import { holdXskArgv, NAPI_TOOL } from "./nic";
import { checked } from "./netkit";
import { detachLinkArgv, loadProgramArgv, NETKIT_DROP, NETKIT_PASS } from "./bpf";

export interface ScenarioContext {
  conn: ConnectionInput;
  /** A change on the host made by hand (`argv` as root there); a replay skips it. */
  outOfBand: (argv: string[]) => Promise<void>;
  /** A netdevsim NIC with `queues` queues, named `name`, for leases; a replay skips it. */
  nic: (id: number, queues: number, name: string) => Promise<void>;
  removeNic: (id: number) => Promise<void>;
}

export interface Scenario {
  name: string;
  /** Needs RX queue leasing (netdevsim on the kernel tier's own kernel). */
  leases?: boolean;
  run(ctx: ScenarioContext): Promise<Record<string, unknown>>;
}

type Props = Record<string, unknown>;
/** A controller as the engine calls it, with the inputs and outputs the scenarios pass around. */
interface Controller {
  create(i: unknown): Promise<{ id: string; outs: Props }>;
  read(id: unknown, props: unknown): Promise<{ id?: string; props: Props; inputs?: Props }>;
  diff(id: unknown, olds: unknown, news: unknown): Promise<unknown>;
  update(id: unknown, olds: unknown, news: unknown): Promise<{ outs: Props }>;
  delete(id: unknown, props: unknown): Promise<void>;
}

/** An observation as JSON keeps it: without the connection (it holds the test key), undefined members or key order. */
function seen(v: unknown): unknown {
  if (v === undefined) return "done";
  if (Array.isArray(v)) return v.map(seen);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k, x]) => k !== "connection" && x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, seen(x)]),
    );
  return v;
}

/** Runs a controller call; a failure is an observation too (its class and message). */
async function step<T>(f: () => Promise<T>): Promise<unknown> {
  try {
    return seen(await f());
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

const c = (p: object) => p as unknown as Controller;
const pairs = c(netkitPairProvider);
const singles = c(netkitSingleProvider);
const bindings = c(rxqBindingProvider);
const nicQueues = c(nicQueuesProvider);
const queueNapi = c(queueNapiProvider);
const flowRules = c(flowRuleProvider);

export const scenarios: Scenario[] = [
  {
    name: "pair-programs",
    async run({ conn, outOfBand }) {
      const [drop, pass] = ["/sys/fs/bpf/nkc-drop", "/sys/fs/bpf/nkc-pass"];
      await outOfBand(loadProgramArgv(drop, NETKIT_DROP, "nkc_drop"));
      await outOfBand(loadProgramArgv(pass, NETKIT_PASS, "nkc_pass"));
      try {
        const base = { connection: conn, name: "nkc6", peerName: "nkc6p" };
        const created = await pairs.create(checked(netkitPairDefinition, { ...base, programs: [{ pin: drop }] }));
        const read = await step(() => pairs.read(created.id, created.outs));
        const news = checked(netkitPairDefinition, { ...base, programs: [{ pin: pass }, { pin: drop }], peerPrograms: [{ pin: pass }] });
        const diff = await step(() => pairs.diff(created.id as never, created.outs as never, news as never));
        const updated = await pairs.update(created.id, created.outs, news);
        assert.equal(updated.outs.ifindex, created.outs.ifindex);
        await outOfBand(detachLinkArgv(`/sys/fs/bpf/pulumi-netkit/if${String(created.outs.ifindex)}/primary-0`));
        const drift = (await pairs.read(created.id, updated.outs)) as { props: Props };
        const restored = await step(() => pairs.update(created.id, drift.props, news));
        const deleted = await step(() => pairs.delete(created.id as never, updated.outs as never));
        return { created: seen(created), read, diff, updated: seen(updated), drift: seen(drift), restored, deleted };
      } finally {
        await outOfBand(["rm", "-f", drop, pass]);
      }
    },
  },
  {
    name: "pair-lifecycle",
    async run({ conn, outOfBand }) {
      const ns = "nkc-pod";
      await outOfBand(["ip", "netns", "add", ns]);
      try {
        const base = { connection: conn, name: "nkc0", peerName: "nkc0p", peerNetns: ns, mode: "l2", macAddress: "02:00:00:00:cc:01" };
        const i = checked(netkitPairDefinition, { ...base, mtu: 9000, headroom: 64 });
        const created = await pairs.create(i);
        assert.deepEqual([created.outs.mtu, created.outs.headroom, created.outs.peerNetns], [9000, 64, ns]);
        const read = (await pairs.read(created.id, created.outs)) as { props: Props };
        assert.deepEqual(read.props, created.outs, "a read right after create sees what create reported");
        const news = checked(netkitPairDefinition, { ...base, mtu: 1500, headroom: 64, policy: "blackhole", peerUp: false, txQueueLen: 300 });
        const diff = await step(() => pairs.diff(created.id as never, created.outs as never, news as never));
        const updated = await pairs.update(created.id, created.outs, news);
        assert.deepEqual(
          [updated.outs.mtu, updated.outs.policy, updated.outs.peerUp, updated.outs.txQueueLen, updated.outs.ifindex],
          [1500, "blackhole", false, 300, created.outs.ifindex],
        );
        await outOfBand(["ip", "link", "set", "nkc0", "mtu", "1400"]);
        const drift = (await pairs.read(created.id, updated.outs)) as { props: Props; inputs: Props };
        assert.equal(drift.props.mtu, 1400, "refresh reports the kernel's value");
        const deleted = await step(() => pairs.delete(created.id as never, updated.outs as never));
        const gone = await step(() => pairs.read(created.id as never, updated.outs as never));
        const again = await step(() => pairs.delete(created.id as never, updated.outs as never));
        return { created: seen(created), read: seen(read), diff, updated: seen(updated), drift: seen(drift), deleted, gone, again };
      } finally {
        await outOfBand(["ip", "netns", "del", ns]);
      }
    },
  },
  {
    name: "single-lifecycle-and-import",
    async run({ conn, outOfBand }) {
      const ns = "nkc-pod2";
      await outOfBand(["ip", "netns", "add", ns]);
      setConnectionDefaults(conn);
      try {
        const i = checked(netkitSingleDefinition, { connection: conn, name: "nkc1", netns: ns, mode: "l2", numRxQueues: 3, mtu: 4000 });
        const created = await singles.create(i);
        assert.equal(created.outs.numRxQueues, 3);
        const news = checked(netkitSingleDefinition, { connection: conn, name: "nkc1", netns: ns, mode: "l2", numRxQueues: 3, mtu: 2000, up: false });
        const updated = await singles.update(created.id, created.outs, news);
        assert.deepEqual([updated.outs.mtu, updated.outs.up], [2000, false]);
        // `pulumi import` reads with no properties: the device as the kernel has it.
        const imported = (await singles.read(created.id, undefined)) as { id: string; props: Props; inputs: Props };
        assert.equal(imported.props.ifindex, created.outs.ifindex);
        const deleted = await step(() => singles.delete(created.id as never, updated.outs as never));
        return { created: seen(created), updated: seen(updated), imported: seen(imported), deleted };
      } finally {
        setConnectionDefaults({});
        await outOfBand(["ip", "netns", "del", ns]);
      }
    },
  },
  {
    name: "refusals",
    async run({ conn, outOfBand }) {
      await outOfBand(["ip", "link", "add", "nkc-dummy", "type", "dummy"]);
      try {
        const pair = checked(netkitPairDefinition, { connection: conn, name: "nkc2", peerName: "nkc2p" });
        const created = await pairs.create(pair);
        const exists = await step(() => pairs.create(pair as never));
        const noNetns = await step(() => pairs.create(checked(netkitPairDefinition, { connection: conn, name: "nkc3", peerName: "nkc3p", peerNetns: "nkc-missing" }) as never));
        // A name taken by a device that is not a netkit primary is never deleted: left alone.
        const notOurs = await step(() => pairs.delete("id", checked(netkitPairDefinition, { connection: conn, name: "nkc-dummy", peerName: "x" }) as never));
        const deleted = await step(() => pairs.delete(created.id as never, created.outs as never));
        for (const r of [exists, noNetns]) assert.ok(r && typeof r === "object" && "error" in r, JSON.stringify(r));
        assert.equal(notOurs, "done", "a device that is not the stack's is left alone, and the record goes");
        return { exists, noNetns, notOurs, deleted };
      } finally {
        await outOfBand(["ip", "link", "del", "nkc-dummy"]);
      }
    },
  },
  {
    name: "lease-lifecycle",
    leases: true,
    async run({ conn, outOfBand, nic, removeNic }) {
      const ns = "nkc-xdp";
      await nic(7611, 4, "nkc-nic0");
      await outOfBand(["ip", "netns", "add", ns]);
      try {
        const dev = await singles.create(checked(netkitSingleDefinition, { connection: conn, name: "nkc4", netns: ns, numRxQueues: 3 }));
        const b = checked(rxqBindingDefinition, { connection: conn, deviceName: "nkc4", netns: ns, nic: "nkc-nic0", nicQueue: 2, deviceIfindex: dev.outs.ifindex });
        const leased = await bindings.create(b);
        assert.equal(leased.outs.queueId, 1, "the first lease is the device's queue 1");
        const read = (await bindings.read(leased.id, leased.outs)) as { props: Props };
        assert.deepEqual(read.props, leased.outs);
        // The lease the device holds already is that lease: adopted (a lost state recovers).
        const sameQueue = await step(() => bindings.create(b as never));
        // Never fails: the lease stays with its device (a warning says so), the binding goes.
        const release = await step(() => bindings.delete(leased.id as never, leased.outs as never));
        assert.equal(release, "done");
        // `pulumi import` by the id create gave (on the configured host): the lease as the kernel holds it.
        setConnectionDefaults(conn);
        const imported = (await bindings.read(leased.id, undefined).finally(() => setConnectionDefaults({}))) as { id: string; props: Props };
        assert.equal(imported.props.queueId, 1);
        await singles.delete(dev.id, dev.outs);
        const gone = await step(() => bindings.read(leased.id as never, leased.outs as never));
        const deletedAfter = await step(() => bindings.delete(leased.id as never, leased.outs as never));
        return { leased: seen(leased), read: seen(read), sameQueue, release, imported: seen(imported), gone, deletedAfter };
      } finally {
        await outOfBand(["ip", "netns", "del", ns]);
        await removeNic(7611);
      }
    },
  },
  {
    name: "device-leases",
    leases: true,
    async run({ conn, outOfBand, nic, removeNic }) {
      const ns = "nkc-xdp2";
      await nic(7612, 4, "nkc-nic1");
      await outOfBand(["ip", "netns", "add", ns]);
      try {
        const base = {
          connection: conn,
          name: "nkc5",
          netns: ns,
          leases: [
            { nic: "nkc-nic1", queue: 3 },
            { nic: "nkc-nic1", queue: 1 },
          ],
        };
        // No numRxQueues: the device is made with room for its leases (1 + 2).
        const dev = await singles.create(checked(netkitSingleDefinition, base));
        assert.deepEqual([dev.outs.numRxQueues, dev.outs.leaseQueueIds], [3, [1, 2]], "queues 1, 2 in the declared order");
        const read = (await singles.read(dev.id, dev.outs)) as { props: Props };
        assert.deepEqual(read.props, dev.outs, "a read sees the leases create made");
        const news = checked(netkitSingleDefinition, { ...base, mtu: 4000 });
        const diff = await step(() => singles.diff(dev.id as never, dev.outs as never, news as never));
        const updated = await singles.update(dev.id, dev.outs, news);
        assert.deepEqual(updated.outs.leaseQueueIds, [1, 2], "an update keeps the leases");
        const changed = await step(() =>
          singles.diff(dev.id as never, updated.outs as never, checked(netkitSingleDefinition, { ...base, leases: [{ nic: "nkc-nic1", queue: 2 }] }) as never),
        );
        const deleted = await step(() => singles.delete(dev.id as never, updated.outs as never));
        // A lease the kernel refuses (no queue 9 on a 4-queue NIC): the new device goes again.
        const refused = await step(() =>
          singles.create(
            checked(netkitSingleDefinition, {
              ...base,
              leases: [
                { nic: "nkc-nic1", queue: 0 },
                { nic: "nkc-nic1", queue: 9 },
              ],
            }) as never,
          ),
        );
        assert.ok(refused && typeof refused === "object" && "error" in refused, JSON.stringify(refused));
        const afterRefusal = await step(() => singles.read(dev.id as never, dev.outs as never));
        assert.deepEqual(afterRefusal, { id: "", props: {} }, "nothing left of the refused create");
        return { created: seen(dev), read: seen(read), diff, updated: seen(updated), changed, deleted, refused, afterRefusal };
      } finally {
        await outOfBand(["ip", "netns", "del", ns]);
        await removeNic(7612);
      }
    },
  },
  {
    // Renames, netns moves and live link settings, in place: the same devices (ifindex kept,
    // or read back where the target netns had it taken), their leases kept (netdevsim).
    name: "renames-moves-and-link-settings",
    leases: true,
    async run({ conn, outOfBand, nic, removeNic }) {
      const [ns1, ns2] = ["nkc-mv1", "nkc-mv2"];
      await nic(7613, 4, "nkc-nic2");
      for (const ns of [ns1, ns2]) await outOfBand(["ip", "netns", "add", ns]);
      // ifindex 2 is free in a fresh netns: a dummy takes it, so a device moved there must get another.
      await outOfBand(["ip", "-n", ns2, "link", "add", "nkc-taken", "type", "dummy"]);
      try {
        const settings = { gsoMaxSize: 196608, groMaxSize: 196608, gsoIpv4MaxSize: 131072, groIpv4MaxSize: 131072, gsoMaxSegs: 4000, alias: "nkc pod", group: 7 };
        const pairBase = { connection: conn, name: "nkc6", peerName: "nkc6p", peerNetns: ns1, ...settings, peerGsoMaxSize: 131072, peerAlias: "eth0 of nkc", peerGroup: 8 };
        const pair = await pairs.create(checked(netkitPairDefinition, pairBase));
        const singleBase = { connection: conn, name: "nkc7", netns: ns1, leases: [{ nic: "nkc-nic2", queue: 1 }], ...settings };
        const single = await singles.create(checked(netkitSingleDefinition, singleBase));
        for (const [k, v] of Object.entries(settings)) assert.deepEqual([pair.outs[k], single.outs[k]], [v, v], k);
        // Rename the primary, rename and move the peer, change the settings: one update.
        const pairNews = checked(netkitPairDefinition, { ...pairBase, name: "nkc6r", peerName: "eth0", peerNetns: ns2, gsoMaxSize: 65536, alias: "", peerGroup: 9 });
        const pairDiff = await step(() => pairs.diff(pair.id as never, pair.outs as never, pairNews as never));
        const pairUpdated = await pairs.update(pair.id, pair.outs, pairNews);
        assert.deepEqual([pairUpdated.outs.name, pairUpdated.outs.peerName, pairUpdated.outs.peerNetns, pairUpdated.outs.ifindex], ["nkc6r", "eth0", ns2, pair.outs.ifindex]);
        assert.deepEqual([pairUpdated.outs.gsoMaxSize, pairUpdated.outs.gsoIpv4MaxSize, pairUpdated.outs.alias, pairUpdated.outs.peerGroup], [65536, 131072, "", 9]);
        assert.deepEqual([pairUpdated.outs.up, pairUpdated.outs.peerUp], [true, true], "up again after the rename and the move");
        const pairRead = (await pairs.read(pair.id, pairUpdated.outs)) as { id: string; props: Props };
        assert.equal(pairRead.id, pair.id, "the id stays: refresh finds the renamed pair");
        // Move the single device (with its lease) and rename it on the way.
        const singleNews = checked(netkitSingleDefinition, { ...singleBase, name: "nkc7m", netns: ns2, mtu: 4000 });
        const singleDiff = await step(() => singles.diff(single.id as never, single.outs as never, singleNews as never));
        const singleUpdated = await singles.update(single.id, single.outs, singleNews);
        assert.deepEqual([singleUpdated.outs.name, singleUpdated.outs.netns, singleUpdated.outs.mtu], ["nkc7m", ns2, 4000]);
        const singleRead = (await singles.read(single.id, singleUpdated.outs)) as { id: string; props: Props };
        assert.deepEqual([singleRead.id, singleRead.props.leases, singleRead.props.leaseQueueIds], [single.id, singleBase.leases, [1]], "the lease survives the move");
        // A failed update of a renamed device moves it back where the state has it.
        const refused = await step(() => singles.update(single.id as never, singleUpdated.outs as never, { ...singleNews, name: "nkc7x", mtu: 70000 }));
        const afterRefusal = (await singles.read(single.id, singleUpdated.outs)) as { id: string; props: Props };
        assert.equal(afterRefusal.props.name, "nkc7m", "moved back after the refusal");
        const deleted = [
          await step(() => pairs.delete(pair.id as never, pairUpdated.outs as never)),
          await step(() => singles.delete(single.id as never, singleUpdated.outs as never)),
        ];
        return {
          pair: seen(pair),
          single: seen(single),
          pairDiff,
          pairUpdated: seen(pairUpdated),
          pairRead: seen(pairRead),
          singleDiff,
          singleUpdated: seen(singleUpdated),
          singleRead: seen(singleRead),
          refused,
          afterRefusal: seen(afterRefusal),
          deleted,
        };
      } finally {
        for (const ns of [ns1, ns2]) await outOfBand(["ip", "netns", "del", ns]);
        await removeNic(7613);
      }
    },
  },
  {
    // The NIC side on netdevsim: NicQueues and QueueNapi through create → read → drift made by
    // hand → read → update → delete, a FlowRule refused (no flow rules there), and a device whose
    // leased queue an AF_XDP socket holds: its delete refused naming the socket, then done.
    name: "nic-side",
    leases: true,
    async run({ conn, outOfBand, nic, removeNic }) {
      const ns = "nkc-zc";
      await nic(7614, 4, "nkc-nic3");
      await outOfBand(["ip", "netns", "add", ns]);
      try {
        const q = checked(nicQueuesDefinition, { connection: conn, nic: "nkc-nic3", combinedChannels: 3, rxRing: 64, tcpDataSplit: "enabled", hdsThresh: 0 });
        const queues = await nicQueues.create(q);
        const queuesRead = await step(() => nicQueues.read(queues.id as never, queues.outs as never));
        const n = checked(queueNapiDefinition, { connection: conn, nic: "nkc-nic3", queue: 2, deferHardIrqs: 100, groFlushTimeout: 20000 });
        const napi = await queueNapi.create(n);
        await outOfBand(["python3", "-c", NAPI_TOOL, "set", String(napi.outs.napiId), "0", "-"]);
        const drifted = (await queueNapi.read(napi.id, napi.outs)) as { props: Props; inputs: Props };
        assert.equal(drifted.inputs.deferHardIrqs, 0, "a napi-set by hand shows");
        const napiDiff = await step(() => queueNapi.diff(napi.id as never, drifted.props as never, n as never));
        const repaired = await queueNapi.update(napi.id, drifted.props, n);
        const flow = await step(() => flowRules.create(checked(flowRuleDefinition, { connection: conn, nic: "nkc-nic3", flowType: "tcp6", dstPort: 9999, queue: 2 }) as never));
        const dev = await singles.create(checked(netkitSingleDefinition, { connection: conn, name: "nkc8", netns: ns, leases: [{ nic: "nkc-nic3", queue: 2 }] }));
        await outOfBand(holdXskArgv(dev.outs.ifindex as number, 1, "/tmp/nkc-xsk.pid", ns));
        const held = await step(() => queueNapi.read(napi.id as never, repaired.outs as never));
        const refusedDelete = await step(() => singles.delete(dev.id as never, dev.outs as never));
        await outOfBand(["sh", "-c", 'kill "$(cat /tmp/nkc-xsk.pid)"; sleep 0.5']);
        const deviceDeleted = await step(() => singles.delete(dev.id as never, dev.outs as never));
        const napiDeleted = await step(() => queueNapi.delete(napi.id as never, repaired.outs as never));
        const queuesDeleted = await step(() => nicQueues.delete(queues.id as never, queues.outs as never));
        return {
          queues: seen(queues),
          queuesRead,
          napi: seen(napi),
          drifted: seen(drifted),
          napiDiff,
          repaired: seen(repaired),
          flow,
          held,
          refusedDelete,
          deviceDeleted,
          napiDeleted,
          queuesDeleted,
        };
      } finally {
        await outOfBand(["ip", "netns", "del", ns]);
        await removeNic(7614);
      }
    },
  },
];
