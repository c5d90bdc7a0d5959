// The benchmark's view of its test host: counts of SSH handshakes and remote commands read
// from the guest sshd's own log (LogLevel VERBOSE: one "Accepted publickey" per handshake,
// one "Starting session: command" per exec channel), between markers written to the same
// console by an observer connection of the benchmark itself, so that every count is what
// the server saw, not what a client believes it did.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TestHost } from "../testhost";
import { connectionSchema, type ConnectionInput } from "../provider/connection";
import { SshSession } from "../provider/ssh/session";
import { silentLogger } from "../provider/log";
import { RelayBatch } from "../provider/host/batch";
import { HostClient } from "../provider/host/client";
import { cpuNow, cpuSince, qemuPid, type Cpu } from "./cpu";
import { sampleRss } from "./rss";

export interface Counts {
  handshakes: number;
  /** Exec channels the server started (one remote round trip each). */
  commands: number;
}

/** The netns the pairs' peers go into; made before any timing starts. */
export const PEER_NETNS = "bench";

const HANDSHAKE = /Accepted publickey for /g;
const COMMAND = /Starting session: command /g;

export function connectionTo(h: TestHost): ConnectionInput {
  return { host: h.host, port: h.port, user: h.user, privateKey: h.privateKey, hostKey: h.knownHostsLine };
}

export class BenchHost {
  private constructor(
    readonly host: TestHost,
    private readonly observer: SshSession,
    /** Path of a netkit-aware `ip` inside the guest. */
    readonly ip: string,
    private readonly guestPid: number,
  ) {}

  /** Opens the observer connection, makes the peer netns and puts a netkit-aware ip on the host. */
  static async prepare(host: TestHost, netkitIp: string): Promise<BenchHost> {
    const observer = await SshSession.open(connectionSchema.parse(connectionTo(host)), silentLogger);
    const b = new BenchHost(host, observer, "/tmp/netkit-ip", qemuPid(host.logPath));
    // The guest's /root (where the cache is) is private to it: copy the binary over.
    await observer.run(["sh", "-c", `cat > ${b.ip} && chmod 0755 ${b.ip}`], { stdin: readFileSync(netkitIp) });
    // `ip link help` exits 255 by design: only its text says whether it knows netkit.
    await observer.exec([b.ip, "link", "help"]).then((r) => {
      if (!/netkit/.test(r.stdout.toString() + r.stderr.toString())) throw new Error(`${netkitIp} does not know netkit`);
    });
    await observer.run(["ip", "netns", "add", PEER_NETNS]);
    return b;
  }

  close(): void {
    this.observer.close();
  }

  /** Runs argv on the host over the observer connection (counted only outside measurements). */
  async run(argv: string[]): Promise<string> {
    return (await this.observer.run(argv)).stdout.toString();
  }

  /** Device names in the host's netns and in the peer netns. */
  async devices(): Promise<{ host: string[]; peerNetns: string[] }> {
    const names = (out: string) =>
      out
        .split("\n")
        .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
        .filter((n): n is string => !!n);
    return { host: names(await this.run(["ip", "-o", "link"])), peerNetns: names(await this.run(["ip", "-n", PEER_NETNS, "-o", "link"])) };
  }

  /**
   * What single steps cost on this host (median of `times`): a new SSH connection, a command
   * on an open one, the netkit-aware ip, and the provider's relay (python3) with one read.
   */
  async calibrate(times = 5): Promise<Array<{ key: string; step: string; ms: number }>> {
    const median = async (f: () => Promise<unknown>) => {
      const t: number[] = [];
      for (let i = 0; i < times; i++) {
        const t0 = performance.now();
        await f();
        t.push(performance.now() - t0);
      }
      return t.sort((a, b) => a - b)[Math.floor(times / 2)]!;
    };
    const conn = connectionSchema.parse(connectionTo(this.host));
    return [
      { key: "dial", step: "new SSH connection: dial, key exchange, public-key auth, close", ms: await median(async () => (await SshSession.open(conn, silentLogger)).close()) },
      { key: "exec", step: "`true` on an open connection (one exec channel)", ms: await median(() => this.observer.run(["true"])) },
      { key: "ip", step: "`ip link show` (netkit-aware ip) on an open connection", ms: await median(() => this.observer.run([this.ip, "link", "show"])) },
      {
        key: "relay",
        step: "the provider's relay (python3) with one read, on an open connection",
        ms: await median(async () => {
          const c = HostClient.overSsh(this.observer, silentLogger);
          await c.run(new RelayBatch());
          c.close(); // the relay would live as long as the observer's session
        }),
      },
      await (async () => {
        const c = HostClient.overSsh(this.observer, silentLogger);
        await c.run(new RelayBatch());
        const ms = await median(() => c.run(new RelayBatch()));
        c.close();
        return { key: "relay-next", step: "one read on the relay already running (a round trip of the long-lived relay)", ms };
      })(),
    ];
  }

  /**
   * Runs `fn` and returns its wall time, the CPU time it took, what sshd saw while it ran and
   * the largest resident set of a provider process meanwhile (MB).
   */
  async measure(fn: () => Promise<void>, onRss?: (pid: number, mb: number) => void): Promise<{ ms: number; cpu: Cpu; counts: Counts; rssMb: number }> {
    const [m] = await BenchHost.measureAll([this], fn, onRss);
    return { ...m, counts: m.perHost[0]! };
  }

  /** measure() over several hosts at once: the counts per host, the CPU of all their qemus. */
  static async measureAll(
    hosts: BenchHost[],
    fn: () => Promise<void>,
    onRss?: (pid: number, mb: number) => void,
  ): Promise<[{ ms: number; cpu: Cpu; perHost: Counts[]; rssMb: number }]> {
    const starts = await Promise.all(hosts.map((h) => h.mark()));
    const c0 = hosts.map((h) => cpuNow(h.guestPid));
    const rss = sampleRss(onRss);
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    const rssMb = rss.stop();
    const cpus = hosts.map((h, i) => cpuSince(c0[i]!, h.guestPid));
    const cpu = { local: cpus[0]!.local, guest: cpus.reduce((a, c) => a + c.guest, 0) };
    const ends = await Promise.all(hosts.map((h) => h.mark()));
    const perHost = hosts.map((h, i) => {
      const log = readFileSync(h.host.logPath, "latin1");
      const between = log.slice(log.indexOf(starts[i]!) + starts[i]!.length, log.indexOf(ends[i]!));
      const count = (re: RegExp) => between.match(re)?.length ?? 0;
      // The end marker's own exec started inside the window; the observer never handshakes again.
      return { handshakes: count(HANDSHAKE), commands: count(COMMAND) - 1 };
    });
    return [{ ms, cpu, perHost, rssMb }];
  }

  /** Writes a unique line to the guest console and waits until the console log has it. */
  private async mark(): Promise<string> {
    const id = `netkit-bench-mark-${randomUUID()}`;
    await this.observer.run(["sh", "-c", "cat > /dev/console"], { stdin: `${id}\n` });
    const deadline = Date.now() + 60_000;
    while (!readFileSync(this.host.logPath, "latin1").includes(id)) {
      if (Date.now() > deadline) throw new Error(`marker ${id} never reached ${this.host.logPath}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return id;
  }
}
