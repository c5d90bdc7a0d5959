// Several hosts in one stack: HOSTS test hosts with PER pairs each, beside one host with PER
// pairs in the same booted set (so both see the same machine load). Hosts are independent:
// the provider keeps one session and one relay per host and works on all at once, so the
// several-host run should take about as long as the one-host run, with one handshake per host.
import { startTestHosts, type TestHost } from "../testhost";
import { NetkitPair } from "../sdk";
import { engineInstance } from "./engine";
import { BenchHost, connectionTo, PEER_NETNS } from "./host";
import type { Measurement } from "./measurement";
import { pairNames } from "./workloads/workload";
import { loadavg } from "node:os";

const PREFIX = "nkm";

async function measureStack(hosts: BenchHost[], on: TestHost[], perHost: number, workload: string, log: (l: string) => void): Promise<Measurement[]> {
  const n = on.length * perHost;
  const inst = await engineInstance(`bench-${workload}`, n, async () => {
    on.forEach((h, k) => {
      const connection = connectionTo(h);
      for (let i = 0; i < perHost; i++) new NetkitPair(`h${k}-pair${i}`, { connection, ...pairNames(PREFIX, i), peerNetns: PEER_NETNS });
    });
  });
  const out: Measurement[] = [];
  try {
    for (const { phase, run } of inst.phases) {
      const load = loadavg()[0]!;
      const [m] = await BenchHost.measureAll(hosts, run);
      const handshakes = m.perHost.reduce((a, c) => a + c.handshakes, 0);
      const commands = m.perHost.reduce((a, c) => a + c.commands, 0);
      out.push({ n, workload, phase, ms: m.ms, localCpu: m.cpu.local, guestCpu: m.cpu.guest, handshakes, commands, load, rssMb: m.rssMb });
      log(
        `${workload} ${on.length}x${perHost} ${phase}: ${(m.ms / 1000).toFixed(1)} s, ${handshakes} handshakes (${m.perHost.map((c) => c.handshakes).join("+")}), ` +
          `${commands} remote commands, provider RSS ${m.rssMb.toFixed(0)} MB (load ${load.toFixed(1)})`,
      );
    }
  } finally {
    await inst.dispose();
  }
  return out;
}

/** Boots hosts-1 more test hosts beside `first`, measures one host then all of them, and stops what it booted. */
export async function multiHost(first: TestHost, firstBench: BenchHost, netkitIp: string, hosts: number, perHost: number, log: (l: string) => void): Promise<Measurement[]> {
  log(`multihost: booting ${hosts - 1} more test hosts`);
  const more = hosts > 1 ? await startTestHosts(hosts - 1, { name: "bench-mh", log }) : undefined;
  const extra: BenchHost[] = [];
  try {
    for (const h of more?.hosts ?? []) extra.push(await BenchHost.prepare(h, netkitIp));
    const all = [firstBench, ...extra];
    const vms = [first, ...(more?.hosts ?? [])];
    return [...(await measureStack(all, [first], perHost, "multihost-1", log)), ...(await measureStack(all, vms, perHost, "multihost", log))];
  } finally {
    for (const b of extra) b.close();
    await more?.stop();
  }
}
