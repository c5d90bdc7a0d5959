// One managed host, through one SSH session, for one `pulumi` run: the transport (the relay
// queue: requests share runs) and what the provider keeps per host for the run — the
// preflight's facts, the answers a preview's checks got, the link snapshot of a refresh. The
// operations on the host are functions that take a client: netkit-ops.ts (netkit devices),
// locate.ts (links by ifindex and nsid, for import), programs.ts, look-around.ts.
import type { NetkitError } from "../errors";
import type { Logger } from "../log";
import type { SshSession } from "../ssh/session";
import type { BatchResults, RelayBatch } from "./batch";
import { firstFailure, opFailure, type Hint } from "./failure";
import { LinkSnapshot, type LeaseView } from "./link-snapshot";
import { lookAround, questionKey, type LinkAnswer, type NicAnswer, type NicQuestion, type Question } from "./look-around";
import { netkitHint, type DeviceRef, type ReadDevices } from "./netkit";
import { probeHost, probeNic, type HostFacts } from "./preflight";
import { decoding, type RelayRequest, type RelayResult, type RelayTransport } from "./relay";
import { RelayQueue, type QueueOptions } from "./relay-queue";
import { sshWireTransport } from "./relay-stream";

export class HostClient {
  private readonly queue: RelayQueue;
  private readonly snapshot: LinkSnapshot;
  private probed?: Promise<HostFacts>;
  private nicProbed?: Promise<HostFacts>;
  /** What previews asked this host (look-around.ts), by question: asked once per run. */
  private readonly looked = new Map<string, Promise<LinkAnswer | NicAnswer>>();

  /**
   * `host` names the host in messages ("user@host:port"); `transport` runs relay batches there
   * (`queue`: how requests share its runs; `close`: what ends it).
   */
  constructor(
    readonly host: string,
    transport: RelayTransport,
    private readonly log: Logger,
    opts: { queue?: QueueOptions; close?: () => void } = {},
  ) {
    this.queue = new RelayQueue(transport, opts.queue);
    this.snapshot = new LinkSnapshot(this, log);
    this.onClose = opts.close;
  }

  private readonly onClose: (() => void) | undefined;

  /** A client whose relay lives on `session` for as long as the session (or until close()). */
  static overSsh(session: SshSession, log: Logger): HostClient {
    const wire = sshWireTransport(session);
    return new HostClient(session.host, decoding(wire), log, { close: () => wire.close() });
  }

  /** Ends the host's relay (the session stays open); the next request starts another. */
  close(): void {
    this.onClose?.();
  }

  /** Relay runs (round trips) sent to this host so far. */
  get runCount(): number {
    return this.queue.runCount;
  }

  /** Sends a request through the host's relay queue (see relay-queue.ts). */
  request(req: RelayRequest): Promise<RelayResult[]> {
    return this.queue.request(req);
  }

  /** What was read before this many possibly-changing requests may be stale. */
  get writeGeneration(): number {
    return this.queue.writeGeneration;
  }

  run(b: RelayBatch, stopOnError = true): Promise<BatchResults> {
    return b.run(this, stopOnError);
  }

  /** The error for a failed op of a batch. */
  failure(res: BatchResults, i: number, hint: Hint): NetkitError {
    return opFailure(this.host, res.labels[i] ?? "relay op", res.at(i), res.release, hint);
  }

  /** The first failed op of a batch, as an error. */
  firstFailure(res: BatchResults, hint: Hint = netkitHint): NetkitError | undefined {
    return firstFailure(this.host, res, hint);
  }

  /** The host's preflight, once per client (one `pulumi` run); a failed one is retried on next use. */
  facts(): Promise<HostFacts> {
    if (!this.probed) {
      const p = probeHost(this).then((h) => {
        const yes = (b: boolean) => (b ? "yes" : "no");
        const { netkit, single, queueLease, scrub, headroom, tailroom, ipv4BigTcp } = h.has;
        this.log.debug(
          `preflight ${h.host}: kernel ${h.kernelRelease}, netkit ${yes(netkit)}, single mode ${yes(single)}, queue leasing ${yes(queueLease)}, ` +
            `scrub ${yes(scrub)}, headroom ${yes(headroom)}, tailroom ${yes(tailroom)}, IPv4 GSO/GRO limits ${yes(ipv4BigTcp)}`,
        );
        return h;
      });
      p.catch(() => this.probed === p && (this.probed = undefined));
      this.probed = p;
    }
    return this.probed;
  }

  /**
   * The preflight's facts with the NIC side probed too (the ethtool family, which settings
   * RINGS_SET and napi-set accept): once per client, only for the resources that need it.
   */
  nicFacts(): Promise<HostFacts> {
    if (!this.nicProbed) {
      const p = this.facts().then((base) =>
        probeNic(this, base).then((h) => {
          const on = Object.entries(h.has).filter(([k, v]) => v && !(k in base.has && base.has[k as keyof typeof base.has]));
          this.log.debug(`preflight ${h.host} (NIC side): ${on.map(([k]) => k).join(", ") || "none"}`);
          return h;
        }),
      );
      p.catch(() => this.nicProbed === p && (this.nicProbed = undefined));
      this.nicProbed = p;
    }
    return this.nicProbed;
  }

  /**
   * Read-only answers for a preview's host checks, each question asked once per client (one
   * `pulumi` run); questions asked together go in one batch, and concurrent batches share a
   * round trip through the relay queue. A failed batch is forgotten, so a later call retries.
   */
  async ask<Q extends Question>(questions: Q[]): Promise<Array<Q extends NicQuestion ? NicAnswer : LinkAnswer>> {
    const fresh = [...new Map(questions.filter((q) => !this.looked.has(questionKey(q))).map((q) => [questionKey(q), q])).values()];
    if (fresh.length) {
      // Link questions from the run's snapshot (link-snapshot.ts); NICs, and what it cannot answer, directly.
      const batch = (async () => {
        const answered = new Map<string, LinkAnswer | NicAnswer>();
        const links = await Promise.all(fresh.map((q) => ("nic" in q ? Promise.resolve(undefined) : this.snapshot.answer(q))));
        fresh.forEach((q, i) => links[i] && answered.set(questionKey(q), links[i]));
        const rest = fresh.filter((q) => !answered.has(questionKey(q)));
        if (!rest.length) return answered;
        const f = await this.facts();
        for (const [k, a] of await lookAround(this, rest, f.has.queueLease ? f.netdevFamilyId : undefined)) answered.set(k, a);
        return answered;
      })();
      for (const q of fresh) {
        const p = batch.then((m) => m.get(questionKey(q))!);
        p.catch(() => this.looked.get(questionKey(q)) === p && this.looked.delete(questionKey(q)));
        this.looked.set(questionKey(q), p);
      }
    }
    return Promise.all(questions.map((q) => this.looked.get(questionKey(q))!)) as Promise<Array<Q extends NicQuestion ? NicAnswer : LinkAnswer>>;
  }

  /** readNetkit for a refresh: the same answer, from the host's current link snapshot. */
  readNetkitForRefresh(primary: DeviceRef, peer?: DeviceRef): Promise<ReadDevices> {
    return this.snapshot.read(primary, peer);
  }

  /** A lease survey for a refresh, from the host's lease snapshot (link-snapshot.ts); undefined: survey directly. */
  leaseViewForRefresh(familyId: number, t: { deviceName: string; netns?: string; nic: string }): Promise<LeaseView | undefined> {
    return this.snapshot.survey(familyId, t);
  }
}
