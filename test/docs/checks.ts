// Assertions hung on the blocks of runnable pages (by `id=`): what the host and the stack must
// look like after the block ran as printed. The examples' READMEs are the user's path (the
// package as `npm pack` ships it, installed in a project outside this repo, `pulumi` typed in
// its directory with the newest @pulumi/pulumi the package claims), so these are also the
// checks of that path; user-projects.test.ts keeps what a page does not walk (the tarball's
// contents, the oldest claimed @pulumi/pulumi, the types under several TypeScript releases).
import assert from "node:assert/strict";
import type { BlockCheck, BlockRun } from "../support/doc-runner";
import { linkNames, sysfs } from "../support/netkit";
import { rxQueueCount } from "../support/netdevsim";
import { bpffsEntries } from "../support/bpf";
import { onHost } from "../support/shared-host";
import { netkitIp } from "../support/plugin";
import { linkDir } from "../../provider/host/programs";
import { ethtool, holdXsk, napis, napiSetByHand, nicSettings, release, type EthtoolView, type NapiView } from "../support/nic";

async function outputs<T>(run: BlockRun): Promise<T> {
  const out = await run.sh("pulumi stack output --json --show-secrets");
  return JSON.parse(out.slice(out.indexOf("{"))) as T;
}

/** Nothing of the private key may be in what `pulumi stack export` shows of the state. */
async function noPlaintextKey(run: BlockRun, stack?: string): Promise<void> {
  const state = await run.sh(`pulumi stack export${stack ? ` -s ${stack}` : ""}`);
  for (const line of run.env.host.privateKey.split("\n").filter((l) => l.length > 20)) assert.ok(!state.includes(line), "no line of the private key in the state");
}

/** The project holds one @pulumi/pulumi, the user's own (a peer dependency, never a copy of ours). */
async function oneSdk(run: BlockRun): Promise<void> {
  const found = (await run.sh("find node_modules -path '*/@pulumi/pulumi/package.json'")).trim().split("\n").filter(Boolean);
  assert.equal(found.length, 1, `copies of @pulumi/pulumi: ${found.join(", ")}`);
}

async function gone(run: BlockRun, name: string, netns?: string): Promise<void> {
  assert.equal(await sysfs(run.env.host, name, netns), undefined, `${name} is gone${netns ? ` from ${netns}` : ""}`);
}

async function hostFile(run: BlockRun, path: string): Promise<string> {
  const r = await onHost(run.env.host, ["cat", path]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  return r.stdout.toString().trim();
}

/** A pair as README's first stack declares it, in the host's netns and pod1. */
async function readmePair(run: BlockRun): Promise<void> {
  const o = await outputs<{ peerIfindex: number }>(run);
  assert.equal((await sysfs(run.env.host, "nk-pod1"))?.mtu, "9000");
  assert.equal((await sysfs(run.env.host, "eth0", "pod1"))?.ifindex, String(o.peerIfindex));
  await noPlaintextKey(run);
}

let xskIfindex = 0;
let bigIfindex = "";

/** The zero-copy pages' NIC (a netdevsim NIC, `<!-- test: nic enp1s0f0 4 -->`). */
const ZC_NIC = "enp1s0f0";
/** The NIC's settings and NAPIs before a zero-copy page changed them: what its destroy must restore. */
let zcBefore: { nic: EthtoolView; napis: Map<number, NapiView>; ifindex: number } | undefined;

async function recordNic(run: BlockRun): Promise<void> {
  const ifindex = Number((await sysfs(run.env.host, ZC_NIC))?.ifindex);
  zcBefore = { nic: await nicSettings(run.env.host, ZC_NIC), napis: await napis(run.env.host, ifindex), ifindex };
}

/** After up: the ring and header split on the NIC, the lease on nk-zc, the NAPI settings on the leased queue. */
async function zeroCopyUp(run: BlockRun, queue: number): Promise<void> {
  const before = zcBefore!;
  assert.deepEqual(await nicSettings(run.env.host, ZC_NIC), { ...before.nic, rxRing: 64, tcpDataSplit: "on", hdsThresh: 0 });
  assert.equal(await rxQueueCount(run.env.host, "nk-zc", "pod1"), 2, "queue 0 + the lease");
  const changed = [...(await napis(run.env.host, before.ifindex))].filter(([id, n]) => JSON.stringify(n) !== JSON.stringify(before.napis.get(id)));
  assert.equal(changed.length, 1, `one NAPI changed, the leased queue's (queue ${queue})`);
  assert.deepEqual(changed[0]![1], { ...before.napis.get(changed[0]![0])!, deferHardIrqs: 2, groFlushTimeout: 200000 });
}

/** After destroy: every NIC setting and NAPI as before the page, nk-zc gone. */
async function zeroCopyRestored(run: BlockRun): Promise<void> {
  const before = zcBefore!;
  assert.deepEqual(await nicSettings(run.env.host, ZC_NIC), before.nic, "every NIC setting as before (ethtool -l, -g)");
  assert.deepEqual(await napis(run.env.host, before.ifindex), before.napis, "every NAPI as before (napi-get)");
  await gone(run, "nk-zc", "pod1");
}

/** What a command that must fail printed (run.sh throws with its output). */
async function failing(run: BlockRun, script: string): Promise<string> {
  return run.sh(script).then(
    (out) => assert.fail(`\`${script}\` must fail; it printed:\n${out}`),
    (e: unknown) => (e as Error).message,
  );
}

/** What the Python and Go pods export (examples/python-pod-queues, examples/go-pod-queues). */
interface PodQueues {
  podIfindex: number;
  peerIfindex: number;
  xskIfindex: number;
  queueId: number;
}

/** The pods' devices on the host: the host's own and pod1's. */
const podLinks = async (run: BlockRun) => [await linkNames(run.env.host), await linkNames(run.env.host, "pod1")];
let podBefore: string[][] = [];

/**
 * The Python and Go examples' pages: the generated SDK and the plugin from its archive, in a
 * project copied out of the checkout, `pulumi` typed in its directory. After the page's up,
 * the walk a user makes next: no change and no drift, an in-place update (mtu), a replacement
 * (mode) that leaves the single device and its lease alone, drift found by refresh and undone
 * by up; the page's destroy then leaves pod1 as it was.
 */
const POD_QUEUES: Record<string, BlockCheck> = {
  netns: async (run) => void (podBefore = await podLinks(run)),
  install: async (run) => {
    assert.doesNotMatch(await run.sh("cat Pulumi.yaml"), /plugins:/, "the project names no plugin path");
    assert.match(await run.sh("pulumi plugin ls"), /^netkit\s+resource\s+0\.1\.0\b/m, "the plugin is in the plugin cache");
  },
  preview: async (run) => {
    for (const t of ["NetkitPair", "NetkitSingle", "RxqBinding"]) assert.match(run.output, new RegExp(`netkit:index:${t}`));
    // The language host and the plugin come from beside the CLI and the plugin cache, as in an official install.
    assert.doesNotMatch(run.output, /warning/i);
    assert.deepEqual(await podLinks(run), podBefore, "preview touches nothing");
  },
  up: async (run) => {
    const host = run.env.host;
    const o = await outputs<PodQueues>(run);
    assert.equal((await sysfs(host, "nk-pod"))?.ifindex, String(o.podIfindex));
    assert.equal((await sysfs(host, "eth0", "pod1"))?.ifindex, String(o.peerIfindex));
    assert.equal((await sysfs(host, "nk-xsk", "pod1"))?.ifindex, String(o.xskIfindex));
    assert.equal(o.queueId, 1);
    assert.equal(await rxQueueCount(host, "nk-xsk", "pod1"), 2, "queue 0 + the lease");
    await run.sh("pulumi preview --expect-no-changes");
    await run.sh("pulumi refresh --yes --expect-no-changes");
    await noPlaintextKey(run);

    // An MTU change is an in-place update: preview shows it, up does exactly that.
    await run.sh("pulumi config set mtu 9000");
    let preview = await run.sh("pulumi preview --diff");
    assert.match(preview, /~ 1 to update/);
    assert.match(preview, /mtu\s*:\s*1500 => 9000/);
    assert.match(await run.sh("pulumi up --yes"), /~ 1 updated/);
    assert.deepEqual([(await sysfs(host, "nk-pod"))?.mtu, (await sysfs(host, "nk-pod"))?.ifindex], ["9000", String(o.podIfindex)], "same device, new MTU");
    assert.equal((await sysfs(host, "eth0", "pod1"))?.mtu, "9000");
    await run.sh("pulumi preview --expect-no-changes");

    // A mode change replaces the pair (fixed at creation) and nothing else.
    await run.sh("pulumi config set mode l2");
    preview = await run.sh("pulumi preview --diff");
    assert.match(preview, /\+-1 to replace/);
    assert.match(preview, /mode\s*:\s*"l3" => "l2"/);
    assert.match(await run.sh("pulumi up --yes"), /\+-1 replaced/);
    const replaced = await outputs<PodQueues>(run);
    assert.notEqual(replaced.podIfindex, o.podIfindex, "a new pair");
    assert.equal((await sysfs(host, "nk-pod"))?.ifindex, String(replaced.podIfindex));
    assert.equal(replaced.xskIfindex, o.xskIfindex, "the single device is untouched");
    assert.equal(await rxQueueCount(host, "nk-xsk", "pod1"), 2, "and keeps its lease");
    await run.sh("pulumi preview --expect-no-changes");

    // Drift: an MTU changed on the host is found by refresh, and up puts it back.
    await onHost(host, ["ip", "link", "set", "nk-pod", "mtu", "1400"]);
    assert.match(await run.sh("pulumi refresh --yes --diff"), /mtu\s*:\s*9000 => 1400/);
    assert.match(await run.sh("pulumi preview --diff"), /mtu\s*:\s*1400 => 9000/);
    assert.match(await run.sh("pulumi up --yes"), /~ 1 updated/);
    assert.equal((await sysfs(host, "nk-pod"))?.mtu, "9000");
    await run.sh("pulumi refresh --yes --expect-no-changes");
  },
  destroy: async (run) => assert.deepEqual(await podLinks(run), podBefore, "the host and pod1 as before up"),
};

export const PAGE_CHECKS: Record<string, Record<string, BlockCheck>> = {
  "examples/python-pod-queues/README.md": POD_QUEUES,
  "examples/go-pod-queues/README.md": POD_QUEUES,
  "README.md": {
    preview: (run) => gone(run, "nk-pod1"),
    up: readmePair,
    destroy: (run) => gone(run, "nk-pod1"),
    "yaml-up": readmePair,
  },
  "examples/pair-into-netns/README.md": {
    preview: async (run) => {
      // The language host and the dynamic-provider launcher come from beside the CLI, as in an official install.
      assert.doesNotMatch(run.output, /warning/i);
      await oneSdk(run);
      await gone(run, "nk-pod1");
    },
    up: async (run) => {
      const o = await outputs<{ ifindex: number; peerIfindex: number; programIds: number[] }>(run);
      assert.equal((await sysfs(run.env.host, "nk-pod1"))?.ifindex, String(o.ifindex));
      assert.equal((await sysfs(run.env.host, "eth0", "pod1"))?.ifindex, String(o.peerIfindex));
      assert.equal(o.programIds.length, 1, "the example's program is attached");
      assert.deepEqual(await bpffsEntries(run.env.host, linkDir(o.ifindex)), ["primary-0"]);
      await noPlaintextKey(run);
    },
    destroy: async (run) => {
      await gone(run, "nk-pod1");
      assert.deepEqual(await bpffsEntries(run.env.host, "/sys/fs/bpf/pulumi-netkit"), [], "a link pin is left");
    },
  },
  "examples/single-device/README.md": {
    preview: (run) => gone(run, "nk-xsk0", "pod1"),
    up: async (run) => {
      const o = await outputs<{ ifindex: number; numRxQueues: number }>(run);
      assert.equal((await sysfs(run.env.host, "nk-xsk0", "pod1"))?.ifindex, String(o.ifindex));
      assert.equal(o.numRxQueues, 3);
    },
    destroy: async (run) => assert.deepEqual(await linkNames(run.env.host, "pod1"), ["lo"]),
  },
  "examples/af-xdp-queues/README.md": {
    up: async (run) => assert.equal(await rxQueueCount(run.env.host, "nk-xsk", "pod1"), 3, "queue 0 + two leases"),
    destroy: async (run) => assert.deepEqual(await linkNames(run.env.host, "pod1"), ["lo"]),
  },
  "examples/big-tcp-pod/README.md": {
    up: async (run) => {
      bigIfindex = (await sysfs(run.env.host, "nk-big0"))?.ifindex ?? "";
      const o = await outputs<{ gsoMaxSize: number; peerGroMaxSize: number }>(run);
      assert.deepEqual([o.gsoMaxSize, o.peerGroMaxSize], [196608, 196608]);
      const r = await onHost(run.env.host, [await netkitIp(run.env.host), "-d", "-j", "link", "show", "dev", "nk-big0"]);
      const link = (JSON.parse(r.stdout.toString()) as Array<Record<string, unknown>>)[0]!;
      assert.deepEqual([link.gso_max_size, link.gro_max_size, link.gso_ipv4_max_size, link.gro_ipv4_max_size, link.group], [196608, 196608, 196608, 196608, "10"]);
      assert.equal(await hostFile(run, "/sys/class/net/nk-big0/ifalias"), "pod pod1");
    },
    rename: async (run) => {
      await gone(run, "nk-big0");
      assert.equal((await sysfs(run.env.host, "nk-big1"))?.ifindex, bigIfindex, "the same device, renamed");
    },
  },
  "examples/fleet-stacks/README.md": {
    preview: (run) => gone(run, "nk-fl0"),
    up: async (run) => {
      for (let i = 0; i < 3; i++) {
        assert.ok(await sysfs(run.env.host, `nk-fl${i}`), `nk-fl${i} is on the host`);
        assert.ok(await sysfs(run.env.host, `nk-fl${i}p`, "pod1"), `nk-fl${i}p is in pod1`);
      }
      await noPlaintextKey(run, "node-a");
    },
    destroy: async (run) => {
      for (let i = 0; i < 3; i++) await gone(run, `nk-fl${i}`);
      assert.deepEqual(await linkNames(run.env.host, "pod1"), ["lo"]);
    },
  },
  "examples/yaml-queue-lease/README.md": {
    preview: (run) => gone(run, "nk-xsk", "pod1"),
    up: async (run) => {
      const o = await outputs<{ xskIfindex: number; queueIds: number[] }>(run);
      assert.deepEqual(o.queueIds, [1]);
      assert.equal((await sysfs(run.env.host, "nk-xsk", "pod1"))?.ifindex, String(o.xskIfindex));
      assert.equal(await rxQueueCount(run.env.host, "nk-xsk", "pod1"), 2, "queue 0 + the lease");
      await noPlaintextKey(run);
      xskIfindex = o.xskIfindex;
    },
    replaced: async (run) => {
      const o = await outputs<{ xskIfindex: number; queueIds: number[] }>(run);
      assert.notEqual(o.xskIfindex, xskIfindex, "a new device");
      assert.deepEqual(o.queueIds, [1]);
      assert.equal(await rxQueueCount(run.env.host, "nk-xsk", "pod1"), 2, "the new lease only: the old one ended with the old device");
      xskIfindex = o.xskIfindex;
    },
    forced: async (run) => {
      const o = await outputs<{ xskIfindex: number }>(run);
      assert.notEqual(o.xskIfindex, xskIfindex, "a new device");
      assert.equal(await rxQueueCount(run.env.host, "nk-xsk", "pod1"), 2, "its lease made again");
    },
    destroy: async (run) => {
      assert.deepEqual(await linkNames(run.env.host, "pod1"), ["lo"]);
      // An RxqBinding written the obvious way (deviceName from the device, no deletedWith) goes
      // up and destroys cleanly too, in the same project.
      await run.sh(
        [
          "cp Pulumi.yaml Pulumi.yaml.orig",
          `sed -i 's/^outputs:$/      numRxQueues: 3\\n  rxq:\\n    type: netkit:index:RxqBinding\\n    properties:\\n      deviceName: \${xsk.name}\\n      netns: \${xsk.netns}\\n      nic: \${nic}\\n      nicQueue: 0\\noutputs:\\n  bindingQueue: \${rxq.queueId}/' Pulumi.yaml`,
        ].join("\n"),
      );
      assert.match(await run.sh("pulumi preview"), /\+ 3 to create/);
      await run.sh("pulumi up --yes");
      const o = await outputs<{ queueIds: number[]; bindingQueue: number }>(run);
      assert.deepEqual([o.queueIds, o.bindingQueue], [[1], 2]);
      await run.sh("pulumi preview --expect-no-changes");
      assert.match(await run.sh("pulumi destroy --yes"), /- 3 deleted/);
      assert.deepEqual(await linkNames(run.env.host, "pod1"), ["lo"]);
      await run.sh("mv Pulumi.yaml.orig Pulumi.yaml");
    },
  },
  "docs/guides/zero-copy.md": {
    netns: recordNic,
    refused: async (run) => {
      assert.match(run.output, /NIC enp1s0f0 has no RSS indirection table \(ETHTOOL_MSG_RSS_GET \(ethtool -x\) answered EOPNOTSUPP\); rssEqual needs it/);
      assert.deepEqual(await nicSettings(run.env.host, ZC_NIC), zcBefore!.nic, "preview touches nothing");
    },
    up: async (run) => {
      await zeroCopyUp(run, 3);
      const o = await outputs<{ previous: Record<string, unknown>; leasedTo: number }>(run);
      assert.equal(String(o.leasedTo), (await sysfs(run.env.host, "nk-zc", "pod1"))?.ifindex, "the queue's holder is nk-zc");
      assert.deepEqual(Object.keys(o.previous).sort(), ["hdsThresh", "rxRing", "tcpDataSplit"], "previous records each declared setting");
    },
    destroy: zeroCopyRestored,
  },
  "examples/zero-copy-pod/README.md": {
    netns: recordNic,
    preview: async (run) => {
      assert.deepEqual(await nicSettings(run.env.host, ZC_NIC), zcBefore!.nic, "preview touches nothing");
      await gone(run, "nk-zc", "pod1");
    },
    up: async (run) => {
      await zeroCopyUp(run, 3);
      const o = await outputs<{ zcIfindex: number; zcQueue: number; queueUsers: { leasedTo?: number; xsk: boolean }; nicBefore: Record<string, unknown> }>(run);
      assert.equal(o.zcQueue, 1, "the consumer binds to nk-zc's queue 1");
      assert.equal(String(o.zcIfindex), (await sysfs(run.env.host, "nk-zc", "pod1"))?.ifindex);
      assert.deepEqual([o.queueUsers.leasedTo, o.queueUsers.xsk], [o.zcIfindex, false]);
      assert.deepEqual(o.nicBefore, { rxRing: zcBefore!.nic.rxRing, tcpDataSplit: "enabled", hdsThresh: zcBefore!.nic.hdsThresh });
    },
    // Drift made by hand, then a consumer on the leased queue, before the page's destroy.
    outputs: async (run) => {
      const host = run.env.host;
      const o = await outputs<{ zcIfindex: number; zcQueue: number; napiId: number }>(run);
      await ethtool(host, "-G", ZC_NIC, "rx", "256");
      await napiSetByHand(host, o.napiId, { deferHardIrqs: 0 });
      await run.sh("pulumi refresh --yes");
      const diff = await run.sh("pulumi preview --diff");
      assert.match(diff, /rxRing\s*:\s*256 => 64/);
      assert.match(diff, /deferHardIrqs\s*:\s*0 => 2/);
      assert.match(diff, /2 to update/);
      await run.sh("pulumi up --yes");
      assert.equal((await nicSettings(host, ZC_NIC)).rxRing, 64);
      assert.equal((await napis(host, zcBefore!.ifindex)).get(o.napiId)?.deferHardIrqs, 2);
      await run.sh("pulumi preview --expect-no-changes");
      // An AF_XDP socket on nk-zc's leased queue: an output after refresh; destroy refused, naming it, within the deadline.
      const pid = await holdXsk(host, o.zcIfindex, o.zcQueue, "pod1");
      try {
        await run.sh("pulumi refresh --yes");
        // Refresh updates the resources' state, not the stack's outputs (up does): the QueueNapi's.
        const exported = await run.sh("pulumi stack export");
        const state = JSON.parse(exported.slice(exported.indexOf("{"))) as { deployment: { resources: Array<{ type: string; outputs?: { xsk?: boolean } }> } };
        const napi = state.deployment.resources.find((r) => r.type.endsWith(":QueueNapi"));
        assert.equal(napi?.outputs?.xsk, true, "refresh reads the AF_XDP socket, through the lease, on the NIC's queue");
        const t0 = Date.now();
        const err = await failing(run, "pulumi destroy --yes");
        assert.match(err, /not deleting nk-zc \(netns \/run\/netns\/pod1\): enp1s0f0 RX queue 3 \(its queue 1\) is in use by an AF_XDP socket/);
        assert.ok(Date.now() - t0 < 90_000, `destroy ended after ${Date.now() - t0} ms`);
        assert.ok(await sysfs(host, "nk-zc", "pod1"), "the device is still there");
        assert.equal((await nicSettings(host, ZC_NIC)).rxRing, 64, "and the NIC settings the lease depends on");
      } finally {
        await release(host, pid);
      }
      // The refused destroy deleted what went before the device (its QueueNapi): the next up converges.
      assert.match(await run.sh("pulumi up --yes"), /\+ 1 created/);
      await run.sh("pulumi preview --expect-no-changes");
    },
    destroy: zeroCopyRestored,
  },
  "examples/yaml-zero-copy-pod/README.md": {
    netns: recordNic,
    up: async (run) => {
      await zeroCopyUp(run, 2);
      const o = await outputs<{ zcQueue: number; queueLeasedTo: number; zcIfindex: number }>(run);
      assert.deepEqual([o.zcQueue, o.queueLeasedTo], [1, o.zcIfindex]);
    },
    destroy: zeroCopyRestored,
  },
};
