// Several hosts in one stack: HOSTS test hosts with PER pairs each, beside one host with PER
// pairs in the same booted set (so both see the same machine load). Hosts are independent:
// the provider keeps one session and one relay per host and works on all at once, so the
// several-host run should take about as long as the one-host run, with one handshake per host.
// The same hosts then have a stack each, run side by side (examples/fleet-stacks): what a
// fleet gains from stacks that do not grow with it, on the same machine.
import { startTestHosts, type TestHost } from "../testhost";
import { NetkitPair } from "../sdk";
import { engineInstance } from "./engine";
import { BenchHost, connectionTo, PEER_NETNS } from "./host";
import type { Measurement } from "./measurement";
import { pairNames, type Instance, type Phase } from "./workloads/workload";
import { loadavg } from "node:os";

const PREFIX = "nkm";

/** One host's pairs: the same resource and device names in either layout. */
function hostPairs(h: TestHost, k: number, perHost: number): void {
  const connection = connectionTo(h);
  for (let i = 0; i < perHost; i++) new NetkitPair(`h${k}-pair${i}`, { connection, ...pairNames(PREFIX, i), peerNetns: PEER_NETNS });
}

/** Each phase of a layout, measured on every host: `run(p)` runs phase number p of its stacks. */
async function measurePhases(
  hosts: BenchHost[],
  phases: Phase[],
  run: (p: number) => Promise<void>,
  n: number,
  workload: string,
  label: string,
  log: (l: string) => void,
): Promise<Measurement[]> {
  const out: Measurement[] = [];
  for (const [p, phase] of phases.entries()) {
    const load = loadavg()[0]!;
    const [m] = await BenchHost.measureAll(hosts, () => run(p));
    const handshakes = m.perHost.reduce((a, c) => a + c.handshakes, 0);
    const commands = m.perHost.reduce((a, c) => a + c.commands, 0);
    out.push({ n, workload, phase, ms: m.ms, localCpu: m.cpu.local, guestCpu: m.cpu.guest, handshakes, commands, load, rssMb: m.rssMb });
    log(
      `${workload} ${label} ${phase}: ${(m.ms / 1000).toFixed(1)} s, ${handshakes} handshakes (${m.perHost.map((c) => c.handshakes).join("+")}), ` +
        `${commands} remote commands, provider RSS ${m.rssMb.toFixed(0)} MB (load ${load.toFixed(1)})`,
    );
  }
  return out;
}

/** The hosts `on` in one stack. */
async function measureStack(hosts: BenchHost[], on: TestHost[], perHost: number, workload: string, log: (l: string) => void): Promise<Measurement[]> {
  const n = on.length * perHost;
  const inst = await engineInstance(`bench-${workload}`, n, async () => on.forEach((h, k) => hostPairs(h, k, perHost)));
  try {
    return await measurePhases(
      hosts,
      inst.phases.map((p) => p.phase),
      (p) => inst.phases[p]!.run(),
      n,
      workload,
      `${on.length}x${perHost}`,
      log,
    );
  } finally {
    await inst.dispose();
  }
}

/**
 * The hosts `on` with a stack each, every phase run on all stacks at once (the layout of
 * examples/fleet-stacks): each stack has its own engine and provider process, and its
 * checkpoint holds one host's resources. The programs are inline, in this process, where the
 * example runs each in a process of its own.
 */
async function measureStackPerHost(hosts: BenchHost[], on: TestHost[], perHost: number, log: (l: string) => void): Promise<Measurement[]> {
  const workload = "multihost-stacks";
  const insts: Instance[] = [];
  try {
    for (const [k, h] of on.entries()) insts.push(await engineInstance(`bench-${workload}-${k}`, perHost, async () => hostPairs(h, k, perHost)));
    const all = async (p: number) => {
      // Every stack's phase ends before the phase is measured as done, also when one fails.
      const failed = (await Promise.allSettled(insts.map((i) => i.phases[p]!.run()))).find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    };
    return await measurePhases(
      hosts,
      insts[0]!.phases.map((p) => p.phase),
      all,
      on.length * perHost,
      workload,
      `${on.length}x${perHost}`,
      log,
    );
  } finally {
    for (const i of insts) await i.dispose();
  }
}

/**
 * Boots hosts-1 more test hosts beside `first`, measures one host, then all of them in one
 * stack, then all of them with a stack each run side by side, and stops what it booted.
 */
export async function multiHost(first: TestHost, firstBench: BenchHost, netkitIp: string, hosts: number, perHost: number, log: (l: string) => void): Promise<Measurement[]> {
  log(`multihost: booting ${hosts - 1} more test hosts`);
  const more = hosts > 1 ? await startTestHosts(hosts - 1, { name: "bench-mh", log }) : undefined;
  const extra: BenchHost[] = [];
  try {
    for (const h of more?.hosts ?? []) extra.push(await BenchHost.prepare(h, netkitIp));
    const all = [firstBench, ...extra];
    const vms = [first, ...(more?.hosts ?? [])];
    return [
      ...(await measureStack(all, [first], perHost, "multihost-1", log)),
      ...(await measureStack(all, vms, perHost, "multihost", log)),
      ...(await measureStackPerHost(all, vms, perHost, log)),
    ];
  } finally {
    for (const b of extra) b.close();
    await more?.stop();
  }
}
