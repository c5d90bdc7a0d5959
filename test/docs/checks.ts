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

export const PAGE_CHECKS: Record<string, Record<string, BlockCheck>> = {
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
};
