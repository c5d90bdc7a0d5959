// The kernel matrix: Debian's own packaged kernels (bookworm 6.1 without netkit, trixie 6.12,
// trixie-backports 6.17 and 7.3) beside our netdevsim build (7.2). On every netkit kernel a
// NetkitPair that sets no version-specific field goes through preview → up → no-change
// preview → refresh without drift → update → destroy with the real engine. Then every row of
// The host-requirements table (docs/guides/host-requirements.md) is measured: each resource, and each field that needs a
// kernel feature set to a value that needs it, created through the provider and read back
// ("works"), or refused with a CapabilityError before anything changed ("refused"). What was
// measured must equal docs/kernel-matrix.json, from which `npm run gen` renders the table
// (NETKIT_WRITE_MATRIX=1 records a new measurement). Each kernel's real netlink replies (the
// probes and the pair's dumps) are kept as unit fixtures (test/fixtures/netlink/kernels/;
// NETKIT_WRITE_FIXTURES=1 records them anew) and must keep their shape.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NetkitPair } from "../../sdk";
import { CapabilityError, NetkitError, NetlinkError } from "../../provider/errors";
import { ATTRIBUTE_PROBES, attributeProbe, PROBE_LINK } from "../../provider/host/preflight";
import type { RelayOp } from "../../provider/host/relay";
import { NETDEV_CMD, NETDEV_FAMILY_NAME, NETLINK_GENERIC } from "../../provider/netlink/constants";
import { getFamilyRequest, getOpPolicyByNameRequest } from "../../provider/netlink/genl";
import { ETHTOOL_FAMILY_NAME, ETHTOOL_MSG } from "../../provider/netlink/ethtool";
import { nicQueuesProvider } from "../../provider/resources/nic-queues/controller";
import { nicQueuesDefinition } from "../../provider/resources/nic-queues/definition";
import { queueNapiProvider } from "../../provider/resources/queue-napi/controller";
import { queueNapiDefinition } from "../../provider/resources/queue-napi/definition";
import { flowRuleProvider } from "../../provider/resources/flow-rule/controller";
import { flowRuleDefinition } from "../../provider/resources/flow-rule/definition";
import { getLinkRequest } from "../../provider/netlink/link";
import { decodeMessages } from "../../provider/netlink/message";
import { parseNetkitLink } from "../../provider/host/netkit";
import { netkitPairProvider } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { netkitSingleProvider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { rxqBindingProvider } from "../../provider/resources/rxq-binding/controller";
import { rxqBindingDefinition } from "../../provider/resources/rxq-binding/definition";
import { hostFor } from "../../provider/resources/hosts";
import { matrixRows, type KernelMatrix, type KernelMeasurement, type Outcome } from "../../provider/definition/kernel-table";
import { allDefinitions } from "../../provider/resources/registry";
import { repoRoot } from "../../provider/artefacts";
import type { ResourceDefinition } from "../../provider/definition/resource";
import { DEBIAN_KERNELS, type DebianKernel, type TestHost } from "../../testhost";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, RSS_NIC_NAME, sharedHost } from "../support/shared-host";
import { debianHost } from "../support/kernel-hosts";
import { checked, linkNames, sysfs } from "../support/netkit";
import { addNetdevsim, removeNetdevsim } from "../support/netdevsim";
import { asError } from "../support/errors";

interface Column {
  id: string;
  label: string;
  host: () => Promise<TestHost>;
}

const debian = (flavour: DebianKernel, label: string): Column => ({ id: flavour, label, host: () => debianHost(flavour) });
const COLUMNS: Column[] = [
  debian("bookworm-6.1", "Debian 12 bookworm"),
  debian("trixie-6.12", "Debian 13 trixie"),
  debian("trixie-backports-6.17", "trixie-backports"),
  { id: "own-7.2", label: "own build (netdevsim)", host: sharedHost },
  debian("trixie-backports-7.3", "trixie-backports"),
];
const MATRIX_FILE = join(repoRoot, "docs", "kernel-matrix.json");
const FIXTURE_DIR = join(repoRoot, "test", "fixtures", "netlink", "kernels");

const measured = new Map<string, KernelMeasurement>();

/** Links in the host's netns and in `ns`: what "nothing changed" is checked against. */
const links = async (host: TestHost, ns: string) => [await linkNames(host), await linkNames(host, ns)];

interface Attempt {
  /** Runs while the resource exists. */
  during?: (outs: Record<string, unknown>) => Promise<void>;
  /** Not deleted on its own: a lease ends with its device. */
  keep?: boolean;
}

/** Creates through the provider, checks what it reports, deletes; a CapabilityError must change nothing. */
async function attempt(
  host: TestHost,
  ns: string,
  spec: ResourceDefinition,
  provider: { create: (i: never) => Promise<{ id: string; outs?: unknown }>; delete?: (id: string, o: never) => Promise<void> },
  inputs: Record<string, unknown>,
  opts: Attempt = {},
): Promise<Outcome> {
  const before = await links(host, ns);
  let r: { id: string; outs?: unknown };
  try {
    r = await provider.create(checked(spec, { connection: connectionTo(host), ...inputs }) as never);
  } catch (e) {
    if (!(e instanceof CapabilityError)) throw e;
    assert.match(e.message, new RegExp(`^root@127\\.0\\.0\\.1:${host.port}: kernel ${host.kernelRelease.replace(/[.+]/g, "\\$&")} has no `));
    assert.deepEqual(await links(host, ns), before, `${spec.name} refused: nothing may change on the host`);
    return "refused";
  }
  const outs = r.outs as Record<string, unknown>;
  for (const [k, v] of Object.entries(inputs)) if (k !== "connection") assert.deepEqual(outs[k], v, `${spec.name}.${k} as declared`);
  if (opts.keep) return "works";
  try {
    await opts.during?.(outs);
  } finally {
    await provider.delete?.(r.id, outs as never);
  }
  assert.deepEqual(await links(host, ns), before, `${spec.name} deleted`);
  return "works";
}

/** The rows of the NIC side: resources that manage a NIC, and the features their fields need. */
const NIC_ROWS = ["NicQueues", "QueueNapi", "FlowRule", "tcpDataSplit", "hdsThresh", "rssNetlink", "napiIrqSuspend", "napiThreaded"];

/**
 * A NIC-side resource created through the provider, read back as declared and deleted: "works";
 * a CapabilityError naming the kernel: "refused"; one naming the NIC (the kernel has the
 * setting, the test host's NIC does not): "no-nic". Either refusal changes nothing.
 */
async function attemptNic(
  host: TestHost,
  spec: ResourceDefinition,
  provider: { create: (i: never) => Promise<{ id: string; outs?: unknown }>; delete?: (id: string, o: never) => Promise<void> },
  inputs: Record<string, unknown>,
): Promise<Outcome> {
  let r: { id: string; outs?: unknown };
  try {
    r = await provider.create(checked(spec, { connection: connectionTo(host), ...inputs }) as never);
  } catch (e) {
    if (!(e instanceof CapabilityError)) throw e;
    const kernel = new RegExp(`^root@127\\.0\\.0\\.1:${host.port}: kernel ${host.kernelRelease.replace(/[.+]/g, "\\$&")} has no `);
    if (kernel.test(e.message)) return "refused";
    assert.match(e.message, new RegExp(`^root@127\\.0\\.0\\.1:${host.port}: NIC ${String(inputs.nic)} has no .*; \\w+ needs (it|them)$`));
    return "no-nic";
  }
  const outs = r.outs as Record<string, unknown>;
  for (const [k, v] of Object.entries(inputs)) assert.deepEqual(outs[k], v, `${spec.name}.${k} as declared`);
  await provider.delete?.(r.id, outs as never);
  return "works";
}

/** The kernel's replies to the probes and to dumps of the pair: request, reply, errno, extack. */
type Fixture = { kernel: string; cases: Record<string, { request: string; reply: string; errno: number; extack?: string }> };

async function capture(host: TestHost, ops: Array<[string, RelayOp]>): Promise<Fixture["cases"]> {
  const results = await (await hostFor(connectionTo(host))).request({ ops: ops.map(([, o]) => o), stopOnError: false, readOnly: true });
  const cases: Fixture["cases"] = {};
  ops.forEach(([name, op], i) => {
    const r = results[i]!;
    assert.equal(r.kind, "netlink", `${name}: ${JSON.stringify(r)}`);
    if (r.kind !== "netlink" || op.op !== "netlink") return;
    cases[name] = { request: op.message.toString("hex"), reply: r.raw.toString("hex"), errno: r.status.errno, ...(r.status.message ? { extack: r.status.message } : {}) };
  });
  return cases;
}

/** What must stay the same between captures: errno, extack, and the netkit attribute types a dump carries. */
function shape(f: Fixture): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(f.cases).map(([name, c]) => {
      let netkitAttrs: number[] | undefined;
      if (name.startsWith("get") && c.errno === 0) {
        const link = parseNetkitLink(decodeMessages(Buffer.from(c.reply, "hex"))[0]!);
        netkitAttrs = [...(link.data?.keys() ?? [])].sort((a, b) => a - b);
      }
      return [name, { errno: c.errno, extack: c.extack, ...(netkitAttrs ? { netkitAttrs } : {}) }];
    }),
  );
}

function checkFixture(id: string, fresh: Fixture): void {
  const file = join(FIXTURE_DIR, `${id}.json`);
  if (process.env.NETKIT_WRITE_FIXTURES === "1" || !existsSync(file)) {
    if (process.env.NETKIT_WRITE_FIXTURES !== "1") assert.fail(`${file} is missing: run the matrix with NETKIT_WRITE_FIXTURES=1 to record it`);
    mkdirSync(FIXTURE_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(fresh, null, 2) + "\n");
    return;
  }
  const kept = JSON.parse(readFileSync(file, "utf8")) as Fixture;
  assert.deepEqual(shape(fresh), shape(kept), `${id}: the kernel's replies changed shape against ${file} (NETKIT_WRITE_FIXTURES=1 records them anew)`);
}

describe("lifecycle: the kernel matrix (Debian's kernels and our own)", function () {
  before(async function () {
    // Generic kernels take ~20 s each to boot under emulation: all at once.
    await Promise.all(COLUMNS.map((c) => c.host()));
  });

  for (const col of COLUMNS) {
    describe(`${col.id}`, function () {
      let host: TestHost;
      const ns = `nkm-${col.id.replace(/[^a-z0-9]/g, "").slice(-8)}`;
      const m: KernelMeasurement = { id: col.id, label: col.label, release: "", probed: {} as KernelMeasurement["probed"], outcomes: {} };
      let t: TestStack | undefined;

      before(async function () {
        host = await col.host();
        await onHost(host, ["ip", "netns", "add", ns]);
        const f = await (await hostFor(connectionTo(host))).nicFacts();
        m.release = f.kernelRelease;
        m.probed = f.has;
        measured.set(col.id, m);
        if (col.id in DEBIAN_KERNELS) assert.equal(f.has.netkit, DEBIAN_KERNELS[col.id as DebianKernel].netkit, "debian.sh's table says netkit");
      });
      after(async function () {
        await t?.stack.destroy().catch(() => undefined);
        t?.cleanup();
        await onHost(host, ["ip", "netns", "del", ns]);
      });

      it("NetkitPair without version-specific fields: preview → up → no-change preview → refresh → update → destroy, or refused up front", async function () {
        const cfg = { mtu: 1500, policy: "forward" as "forward" | "blackhole" };
        const before = await links(host, ns);
        t = await inlineStack(`matrix-${col.id.replace(/\./g, "")}`, async () => {
          const pair = new NetkitPair("pod", { connection: connectionTo(host), name: "nkm0", peerName: "eth0", peerNetns: ns, mtu: cfg.mtu, policy: cfg.policy });
          return { ifindex: pair.ifindex, scrub: pair.scrub, headroom: pair.headroom };
        });
        if (!m.probed.netkit) {
          const err = await t.stack.up().then(
            () => assert.fail("up must fail without netkit"),
            (e: unknown) => asError(e),
          );
          assert.match(err.message, /has no netkit driver \(CONFIG_NETKIT, Linux 6\.7 or later\); NetkitPair needs it/);
          assert.deepEqual(await links(host, ns), before);
          m.outcomes.NetkitPair = await attempt(host, ns, netkitPairDefinition, netkitPairProvider, { name: "nkm0", peerName: "eth0", peerNetns: ns });
          assert.equal(m.outcomes.NetkitPair, "refused");
          return;
        }
        const p = await t.stack.preview({ diff: true });
        assert.equal(p.changeSummary.create, 2, JSON.stringify(p.changeSummary));
        assert.deepEqual(await links(host, ns), before, "preview touches nothing");
        const up = await t.stack.up();
        const ifindex = String(up.outputs.ifindex!.value);
        assert.equal((await sysfs(host, "nkm0"))?.ifindex, ifindex);
        assert.ok(await sysfs(host, "eth0", ns), "the peer is in the netns");
        // What a kernel without the settings does: scrubs as "default", no headroom.
        assert.deepEqual([up.outputs.scrub!.value, up.outputs.headroom!.value], ["default", 0]);
        await t.stack.preview({ expectNoChanges: true });
        const refreshed = await t.stack.refresh();
        assert.deepEqual(Object.keys(refreshed.summary.resourceChanges ?? {}), ["same"], `refresh finds no drift: ${JSON.stringify(refreshed.summary.resourceChanges)}`);
        await t.stack.preview({ expectNoChanges: true });
        Object.assign(cfg, { mtu: 9000, policy: "blackhole" });
        const changed = await t.stack.preview({ diff: true });
        assert.deepEqual([changed.changeSummary.update, changed.changeSummary.replace], [1, undefined], JSON.stringify(changed.changeSummary));
        await t.stack.up();
        assert.deepEqual([(await sysfs(host, "nkm0"))?.mtu, (await sysfs(host, "nkm0"))?.ifindex], ["9000", ifindex], "updated in place");
        await t.stack.destroy();
        assert.deepEqual(await links(host, ns), before, "destroy leaves the host as it was");
        m.outcomes.NetkitPair = "works";
      });

      it("measures every feature row: set where the kernel has it, refused up front where not", async function () {
        // A lease needs a NIC with queue management ops: a netdevsim one on our kernel; Debian's
        // kernels have no netdevsim, so there the VM's virtio NIC, which the kernel must refuse.
        const own = col.id === "own-7.2";
        const nic = own ? "nkm-nic0" : "eth0";
        const nicQueue = own ? 1 : 0;
        /** Where the kernel refuses the NIC, the new device must be gone again with nothing left. */
        const noNic = (before: string[][]) => async (e: unknown) => {
          assert.ok(!own && e instanceof NetkitError && /Lease device does not support queue management operations/.test(e.message), e instanceof Error ? e.message : String(e));
          assert.match(e.message, /the device was deleted again/);
          assert.deepEqual(await links(host, ns), before, "a failed lease leaves no device behind");
          return "no-nic" as const;
        };
        if (own) await addNetdevsim(host, 7511, 2, nic);
        try {
          const pair = { name: "nkm1", peerName: "eth1", peerNetns: ns };
          const values: Record<string, Record<string, unknown>> = {
            scrub: { scrub: "none", peerScrub: "none" },
            headroom: { headroom: 64 },
            tailroom: { tailroom: 32 },
            // BIG TCP for IPv4 on both sides (the IPv4 limits need Linux 6.3+).
            ipv4BigTcp: { gsoMaxSize: 196608, gsoIpv4MaxSize: 196608, groIpv4MaxSize: 196608, peerGsoIpv4MaxSize: 131072, peerGroIpv4MaxSize: 131072 },
            queueLease: { peerLeases: [{ nic, queue: nicQueue }] },
          };
          for (const row of matrixRows(allDefinitions).filter((r) => !(r.id in { NetkitPair: 1, NetkitSingle: 1, RxqBinding: 1 }) && !NIC_ROWS.includes(r.id))) {
            assert.ok(values[row.id], `a value that needs ${row.id}`);
            const before = await links(host, ns);
            m.outcomes[row.id] = await attempt(host, ns, netkitPairDefinition, netkitPairProvider, { ...pair, ...values[row.id] }).catch(noNic(before));
            assert.equal(m.outcomes[row.id] !== "refused", m.probed[row.needs], `${row.id}: works exactly where the probe found it`);
          }
          const lease = (device: Record<string, unknown>) =>
            attempt(host, ns, rxqBindingDefinition, rxqBindingProvider, { deviceName: device.name, netns: ns, nic, nicQueue, deviceIfindex: device.ifindex }, { keep: true }).catch(
              (e: unknown) => {
                assert.ok(
                  !own && e instanceof NetlinkError && e.extack === "Lease device does not support queue management operations",
                  e instanceof Error ? e.message : String(e),
                );
                return "no-nic" as const;
              },
            );
          m.outcomes.NetkitSingle = await attempt(
            host,
            ns,
            netkitSingleDefinition,
            netkitSingleProvider,
            { name: "nkm2", netns: ns, numRxQueues: 2 },
            {
              during: async (single) => void (m.outcomes.RxqBinding = await lease(single)),
            },
          );
          // Where single mode is missing, leasing is too: a binding is refused up front.
          m.outcomes.RxqBinding ??= await attempt(host, ns, rxqBindingDefinition, rxqBindingProvider, { deviceName: "nkm2", netns: ns, nic, nicQueue: 0 });
        } finally {
          if (own) await removeNetdevsim(host, 7511);
        }
        assert.equal(m.outcomes.NetkitSingle === "works", m.probed.single);
        assert.equal(m.outcomes.RxqBinding !== "refused", m.probed.queueLease);
      });

      it("measures the NIC side's rows on a NIC that has them (netdevsim, virtio-net with RSS), refused up front where the kernel lacks them", async function () {
        // Our build lends netdevsim for channels, rings, header split and NAPIs; every kernel's test
        // host has eth1, virtio-net with RSS and 4 queue pairs (no header split, no flow rules).
        const own = col.id === "own-7.2";
        const nsim = "nkm-nic1";
        const nic = own ? nsim : RSS_NIC_NAME;
        await onHost(host, ["ip", "link", "set", RSS_NIC_NAME, "up"]);
        if (own) await addNetdevsim(host, 7512, 4, nsim);
        try {
          const rows: Record<string, () => Promise<Outcome>> = {
            NicQueues: () => attemptNic(host, nicQueuesDefinition, nicQueuesProvider, { nic, combinedChannels: 2 }),
            tcpDataSplit: () => attemptNic(host, nicQueuesDefinition, nicQueuesProvider, { nic, tcpDataSplit: "enabled" }),
            hdsThresh: () => attemptNic(host, nicQueuesDefinition, nicQueuesProvider, { nic, hdsThresh: 0 }),
            rssNetlink: () => attemptNic(host, nicQueuesDefinition, nicQueuesProvider, { nic: RSS_NIC_NAME, combinedChannels: 4, rssEqual: 2 }),
            QueueNapi: () => attemptNic(host, queueNapiDefinition, queueNapiProvider, { nic, queue: 0, deferHardIrqs: 2, groFlushTimeout: 20000 }),
            napiIrqSuspend: () => attemptNic(host, queueNapiDefinition, queueNapiProvider, { nic, queue: 0, irqSuspendTimeout: 1000000 }),
            napiThreaded: () => attemptNic(host, queueNapiDefinition, queueNapiProvider, { nic, queue: 0, threaded: "enabled" }),
            FlowRule: () => attemptNic(host, flowRuleDefinition, flowRuleProvider, { nic, flowType: "tcp6", dstPort: 9999, queue: 0 }),
          };
          for (const row of matrixRows(allDefinitions).filter((r) => NIC_ROWS.includes(r.id))) {
            assert.ok(rows[row.id], `a measurement of ${row.id}`);
            m.outcomes[row.id] = await rows[row.id]!();
            assert.equal(m.outcomes[row.id] !== "refused", m.probed[row.needs], `${row.id}: works exactly where the probe found it (${m.outcomes[row.id]})`);
          }
        } finally {
          if (own) await removeNetdevsim(host, 7512);
        }
      });

      it("keeps its real netlink replies as unit fixtures (probes, netdev family, dumps of a pair)", async function () {
        const ops: Array<[string, RelayOp]> = [
          ...Object.entries(ATTRIBUTE_PROBES).map(([k, a]) => [`probe-${k}`, { op: "netlink", message: attributeProbe(a) }] as [string, RelayOp]),
          ["getFamilyNetdev", { op: "netlink", message: getFamilyRequest(NETDEV_FAMILY_NAME), proto: NETLINK_GENERIC }],
          ["getLo", { op: "netlink", message: getLinkRequest(PROBE_LINK) }],
          // The NIC side's probes (probeNic): the ethtool family, RINGS_SET's and napi-set's policies.
          ["getFamilyEthtool", { op: "netlink", message: getFamilyRequest(ETHTOOL_FAMILY_NAME), proto: NETLINK_GENERIC }],
          ["policyRingsSet", { op: "netlink", message: getOpPolicyByNameRequest(ETHTOOL_FAMILY_NAME, ETHTOOL_MSG.RINGS_SET), proto: NETLINK_GENERIC, dump: true }],
          ["policyNapiSet", { op: "netlink", message: getOpPolicyByNameRequest(NETDEV_FAMILY_NAME, NETDEV_CMD.NAPI_SET), proto: NETLINK_GENERIC, dump: true }],
        ];
        let cases: Fixture["cases"] = {};
        if (m.probed.netkit) {
          await attempt(
            host,
            ns,
            netkitPairDefinition,
            netkitPairProvider,
            { name: "nkm3", peerName: "eth3", peerNetns: ns, mode: "l2" },
            {
              during: async () => {
                cases = await capture(host, [
                  ...ops,
                  ["getPrimary", { op: "netlink", message: getLinkRequest("nkm3") }],
                  ["getPeer", { op: "netlink", message: getLinkRequest("eth3"), netns: `/run/netns/${ns}` }],
                ]);
              },
            },
          );
        } else cases = await capture(host, ops);
        checkFixture(col.id, { kernel: host.kernelRelease, cases });
      });
    });
  }

  // After every kernel's describe (mocha runs a describe's own tests before its nested ones).
  describe("the measurement", function () {
    it("what was measured is docs/kernel-matrix.json (the host-requirements table)", function () {
      const rowOrder = matrixRows(allDefinitions).map((r) => r.id);
      const inRowOrder = (k: KernelMeasurement): KernelMeasurement => ({
        ...k,
        outcomes: Object.fromEntries(rowOrder.filter((r) => r in k.outcomes).map((r) => [r, k.outcomes[r]!])),
      });
      const fresh: KernelMatrix = {
        kernels: COLUMNS.map((c) => measured.get(c.id)!)
          .filter(Boolean)
          .map(inRowOrder),
      };
      assert.equal(fresh.kernels.length, COLUMNS.length, "every kernel was measured");
      for (const k of fresh.kernels) assert.deepEqual(Object.keys(k.outcomes), rowOrder, `${k.id}: every row measured`);
      if (process.env.NETKIT_WRITE_MATRIX === "1") {
        writeFileSync(MATRIX_FILE, JSON.stringify(fresh, null, 2) + "\n");
        return;
      }
      // Releases move with Debian's updates; what each kernel can do must not.
      const strip = (x: KernelMatrix) => x.kernels.map(({ release: _release, ...rest }) => rest);
      const kept = JSON.parse(readFileSync(MATRIX_FILE, "utf8")) as KernelMatrix;
      assert.deepEqual(strip(fresh), strip(kept), `${MATRIX_FILE} no longer matches the kernels (NETKIT_WRITE_MATRIX=1 records this measurement, then npm run gen)`);
    });
  });
});
