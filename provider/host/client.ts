// One managed host, through one SSH session: the typed operations controllers use, and what
// the provider keeps per host for one `pulumi` run — the relay queue (requests share runs),
// the preflight's facts, the link snapshot of a refresh. Each operation is one relay batch
// (one round trip, shared with others), and every failed op becomes an error in one place
// (failure.ts). create is transactional: if anything after the kernel made the device fails,
// the device is deleted again before the error is reported.
import { NetkitError, ProviderBugError } from "../errors";
import type { Logger } from "../log";
import { delLinkByIndexRequest, getLinkByIndexRequest, moveLinkRequest } from "../netlink/link";
import { isAmbiguous } from "../ssh/ambiguous";
import { CreateInDoubt } from "./in-doubt";
import { netkitNewLinkRequest, netkitPolicyChangeRequest, type NetkitCreate } from "../netlink/netkit";
import { getNsidRequest, isNsidMessage, parseNsid } from "../netlink/nsid";
import { failed, RelayBatch, type BatchResults } from "./batch";
import { firstFailure, opFailure, type Hint } from "./failure";
import { LinkSnapshot, type LeaseView } from "./link-snapshot";
import {
  absent,
  changeOp,
  delOp,
  describeLink,
  ENODEV,
  ENOENT,
  getOp,
  linkOf,
  netkitHint,
  HOST_NETNS,
  NETNS_DIR,
  ownedExpect,
  relocates,
  where,
  type ChangeNetkit,
  type CreateNetkit,
  type DeleteOutcome,
  type DeviceRef,
  type NetkitDevices,
  type NetkitLink,
  type OwnedDevice,
  type ReadDevices,
} from "./netkit";
import { probeHost, probeNic, type HostFacts } from "./preflight";
import { decodeResult, decoding, FIRST_NS_FD, type NetlinkOp, type RelayRequest, type RelayResult, type RelayTransport } from "./relay";
import { sshWireTransport } from "./relay-stream";
import type { SshSession } from "../ssh/session";
import { RelayQueue, type QueueOptions } from "./relay-queue";
import { lookAround, questionKey, type LinkAnswer, type NicAnswer, type NicQuestion, type Question } from "./look-around";

/** How long a delete that something may hold up waits for the kernel before it reports what holds it. */
export const HELD_DELETE_WAIT_MS = 15_000;

/** A delete the kernel holds up (see deleteNetkit): the device is unlisted, its unregistering waits for a reference. */
export class DeleteHeldUp extends NetkitError {
  override name = "DeleteHeldUp";
}

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

  async createNetkit(c: CreateNetkit): Promise<NetkitDevices> {
    const b = new RelayBatch();
    // Devices created in another netns refer to it by an fd the relay opens first.
    let nextFd = FIRST_NS_FD;
    const create: NetkitCreate = { ...c.create, primary: { ...c.create.primary } };
    if (c.primary.netns) {
      create.primary.netnsFd = nextFd;
      b.add(`open netns ${c.primary.netns}`, { op: "openNetns", path: c.primary.netns, fd: nextFd++ });
    }
    if (c.peer?.netns && create.peer) {
      create.peer = { ...create.peer, netnsFd: nextFd };
      b.add(`open netns ${c.peer.netns}`, { op: "openNetns", path: c.peer.netns, fd: nextFd++ });
    }
    const created = b.add(`create netkit ${where(c.primary)}`, { op: "netlink", message: netkitNewLinkRequest(create) });
    for (const [ref, after] of [
      [c.primary, c.primaryAfter],
      [c.peer, c.peerAfter],
    ] as const)
      if (ref && after && Object.keys(after).length) b.add(`change ${where(ref)} (${Object.keys(after).join(", ")})`, changeOp(ref, after));
    if (c.primaryUp) b.add(`set ${where(c.primary)} up`, changeOp(c.primary, { up: true }));
    if (c.peer && c.peerUp) b.add(`set ${where(c.peer)} up`, changeOp(c.peer, { up: true }));
    const readPrimary = b.add(`read ${where(c.primary)}`, getOp(c.primary));
    const readPeer = c.peer ? b.add(`read ${where(c.peer)}`, getOp(c.peer)) : -1;

    let res: BatchResults;
    try {
      res = await this.run(b);
    } catch (e) {
      if (isAmbiguous(e)) throw new CreateInDoubt(e, b.id, created, readPrimary);
      throw e;
    }
    const made = res.errno(created) === 0;
    const primary = linkOf(res.at(readPrimary));
    const peer = c.peer ? linkOf(res.at(readPeer)) : undefined;
    let problem = this.firstFailure(res);
    if (!problem && made && (!primary || (c.peer && !peer))) problem = new NetkitError(`${this.host}: created ${where(c.primary)} but could not read it back`);
    if (!problem && primary) problem = c.verify(primary, peer, { host: this.host, release: res.release });
    if (problem) {
      if (made) await this.rollback(c.primary, problem);
      throw problem;
    }
    // No failure and no device: every op ran (stop-on-error), so the read-back must have found it.
    if (!primary) throw new ProviderBugError(`${this.host}: create of ${where(c.primary)} reported no failure and no device`);
    return { primary, ...(peer ? { peer } : {}), release: res.release };
  }

  /** Deletes what a failed create made; the original error says whether that worked. */
  private async rollback(d: DeviceRef, cause: NetkitError): Promise<void> {
    try {
      const b = new RelayBatch();
      b.add(`delete ${where(d)}`, delOp(d));
      const err = this.firstFailure(await this.run(b));
      cause.message += err ? `; rolling back failed too, delete ${where(d)} by hand: ${err.message}` : `; the device was deleted again`;
    } catch (e) {
      cause.message += `; rolling back failed, delete ${where(d)} by hand: ${(e as Error).message}`;
    }
  }

  /** Reads devices from the host now; a device (or netns) that does not exist reads as undefined. */
  async readNetkit(primary: DeviceRef, peer?: DeviceRef): Promise<ReadDevices> {
    const b = new RelayBatch({ readOnly: true });
    const i = b.add(`read ${where(primary)}`, getOp(primary));
    const j = peer ? b.add(`read ${where(peer)}`, getOp(peer)) : -1;
    const res = await this.run(b, false);
    for (const k of [i, j]) if (k >= 0 && failed(res.at(k)) && !absent(res.at(k))) throw this.failure(res, k, netkitHint);
    const out: ReadDevices = { release: res.release };
    const p = linkOf(res.at(i));
    if (p) out.primary = p;
    const q = peer ? linkOf(res.at(j)) : undefined;
    if (q) out.peer = q;
    return out;
  }

  /** readNetkit for a refresh: the same answer, from the host's current link snapshot. */
  readNetkitForRefresh(primary: DeviceRef, peer?: DeviceRef): Promise<ReadDevices> {
    return this.snapshot.read(primary, peer);
  }

  /** A lease survey for a refresh, from the host's lease snapshot (link-snapshot.ts); undefined: survey directly. */
  leaseViewForRefresh(familyId: number, t: { deviceName: string; netns?: string; nic: string }): Promise<LeaseView | undefined> {
    return this.snapshot.survey(familyId, t);
  }

  /**
   * In-place changes, then a read-back; the first refusal stops the batch. The batch first
   * checks both devices are the ones the state recorded: a device that took the name since
   * is never changed.
   */
  async changeNetkit(c: ChangeNetkit): Promise<NetkitDevices> {
    const b = new RelayBatch();
    const guards = [b.add(`check that ${where(c.primary)} is the netkit primary this stack manages`, { ...getOp(c.primary), expect: ownedExpect(c.primary, "primary") })];
    if (c.peer) guards.push(b.add(`check that ${where(c.peer)} is its peer`, { ...getOp(c.peer), expect: ownedExpect(c.peer, "peer") }));
    // Renames and moves first, by the recorded ifindex: the device goes down, is renamed and/or
    // moved, and every later op addresses it where it is now.
    let nextFd = FIRST_NS_FD;
    const moves: Array<{ op: number; from: OwnedDevice; to: DeviceRef }> = [];
    const relocate = (from: OwnedDevice | undefined, to: DeviceRef | undefined): DeviceRef | undefined => {
      if (!from || !relocates(from, to)) return from;
      if (from.ifindex === undefined) throw new NetkitError(`${this.host}: cannot rename or move ${where(from)}: the state has no ifindex for it; run \`pulumi refresh\` first`);
      b.add(`set ${where(from)} down`, changeOp(from, { up: false }));
      let netnsFd: number | undefined;
      if ((to.netns ?? "") !== (from.netns ?? "")) {
        netnsFd = nextFd++;
        b.add(to.netns ? `open netns ${to.netns}` : "open the host's netns", { op: "openNetns", path: to.netns ?? HOST_NETNS, fd: netnsFd });
      }
      const what = netnsFd === undefined ? `rename ${where(from)} to ${to.name}` : `move ${where(from)} to ${to.netns ? `netns ${to.netns}` : "the host's netns"} as ${to.name}`;
      const op = b.add(what, { op: "netlink", message: moveLinkRequest(from.ifindex, { name: to.name, ...(netnsFd !== undefined ? { netnsFd } : {}) }), netns: from.netns });
      moves.push({ op, from, to });
      return to;
    };
    const primary = relocate(c.primary, c.primaryTo)!;
    const peer = relocate(c.peer, c.peerTo);
    // Going down before other changes and up after them avoids traffic on half-set devices.
    const order = (ref: DeviceRef, ch: ChangeNetkit["primaryChange"] | undefined, phase: "pre" | "post") => {
      if (!ch) return;
      const { up, ...rest } = ch;
      if (phase === "pre" && up === false) b.add(`set ${where(ref)} down`, changeOp(ref, { up: false }));
      if (phase === "pre" && Object.keys(rest).length) b.add(`change ${where(ref)} (${Object.keys(rest).join(", ")})`, changeOp(ref, rest));
      if (phase === "post" && up === true) b.add(`set ${where(ref)} up`, changeOp(ref, { up: true }));
    };
    order(primary, c.primaryChange, "pre");
    if (peer) order(peer, c.peerChange, "pre");
    if (c.policy || c.peerPolicy) {
      const req = netkitPolicyChangeRequest(primary.name, { ...(c.policy ? { policy: c.policy } : {}), ...(c.peerPolicy ? { peerPolicy: c.peerPolicy } : {}) });
      b.add(`change policy of ${where(primary)}`, { op: "netlink", message: req, netns: primary.netns });
    }
    order(primary, c.primaryChange, "post");
    if (peer) order(peer, c.peerChange, "post");
    const i = b.add(`read ${where(primary)}`, getOp(primary));
    const j = peer ? b.add(`read ${where(peer)}`, getOp(peer)) : -1;
    const res = await this.run(b);
    for (const g of guards) {
      const r = res.at(g);
      if (absent(r) || (r?.kind === "netlink" && r.mismatch !== undefined)) {
        const dev = g === guards[0] ? c.primary : c.peer!;
        throw new NetkitError(
          `${this.host}: refusing to change ${where(dev)}: it is not the device this stack manages (found ${describeLink(linkOf(r, true))}, ` +
            `recorded ifindex ${dev.ifindex ?? "unknown"}); \`pulumi refresh\` drops the stale record, then \`pulumi up\` creates it anew`,
        );
      }
    }
    const err = this.firstFailure(res);
    if (err) {
      // A device renamed or moved by this batch goes back, so that the state (which keeps the
      // old name and netns when an update fails) still finds it.
      for (const m of moves.filter((x) => res.errno(x.op) === 0).reverse()) await this.moveBack(m.to, m.from, err);
      throw err;
    }
    const p = linkOf(res.at(i));
    if (!p) throw new NetkitError(`${this.host}: ${where(primary)} vanished during the update`);
    const q = peer ? linkOf(res.at(j)) : undefined;
    return { primary: p, ...(q ? { peer: q } : {}), release: res.release };
  }

  /** Undoes a rename or move after a failed update; the update's error says whether that worked. */
  private async moveBack(now: DeviceRef, was: OwnedDevice, cause: NetkitError): Promise<void> {
    try {
      const { primary: d } = await this.readNetkit(now);
      if (!d) throw new NetkitError(`${where(now)} is not there`);
      const b = new RelayBatch();
      const netnsFd = (now.netns ?? "") !== (was.netns ?? "") ? FIRST_NS_FD : undefined;
      if (netnsFd !== undefined) b.add(was.netns ? `open netns ${was.netns}` : "open the host's netns", { op: "openNetns", path: was.netns ?? HOST_NETNS, fd: netnsFd });
      b.add(`move ${where(now)} back as ${where(was)}`, {
        op: "netlink",
        message: moveLinkRequest(d.ifindex, { name: was.name, ...(netnsFd !== undefined ? { netnsFd } : {}) }),
        netns: now.netns,
      });
      const e = this.firstFailure(await this.run(b));
      if (e) throw e;
      cause.message += `; ${where(now)} was moved back to ${where(was)}, where the state has it (it may be down: run \`pulumi up\` again)`;
    } catch (e) {
      cause.message += `; moving ${where(now)} back to ${where(was)} failed too (${(e as Error).message}): run \`pulumi refresh\` after fixing it by hand`;
    }
  }

  /**
   * Deletes the netkit primary the state recorded, and only it: one batch reads the device by
   * name, checks it is that netkit primary (the recorded ifindex, when there is one), and then
   * deletes it by ifindex. A device that took the name since is left alone ("foreign").
   * Deleting the primary removes its peer.
   */
  async deleteNetkit(d: OwnedDevice, opts: { mayBeHeld?: boolean } = {}): Promise<DeleteOutcome> {
    const b = new RelayBatch();
    const check = b.add(`check that ${where(d)} is the netkit primary this stack manages`, { ...getOp(d), expect: ownedExpect(d, "primary") });
    const op: NetlinkOp = d.ifindex !== undefined ? { op: "netlink", message: delLinkByIndexRequest(d.ifindex), netns: d.netns } : delOp(d);
    // A device whose leased queue something references (io_uring's ifq) is unregistered only
    // once that reference drops: the kernel holds the request until then. Sent aside, the
    // relay answers within HELD_DELETE_WAIT_MS whatever the kernel does.
    const del = b.add(`delete ${where(d)}`, opts.mayBeHeld ? { ...op, waitMs: HELD_DELETE_WAIT_MS } : op);
    const res = await this.run(b);
    const found = res.at(check);
    if (absent(found) || res.errno(del) === ENODEV) return { outcome: "gone" };
    if (found?.kind === "netlink" && found.mismatch !== undefined) return { outcome: "foreign", found: describeLink(linkOf(found, true)) };
    const held = res.at(del);
    if (held?.kind === "oserror" && held.pending !== undefined)
      throw new DeleteHeldUp(
        `${this.host}: deleting ${where(d)} is held up in the kernel: it unregisters a device only once every reference to it is gone, and after ${HELD_DELETE_WAIT_MS / 1000} s one still was ` +
          `(process ${held.pending} on the host keeps waiting and finishes the delete when it drops; the device is no longer listed)`,
      );
    const err = this.firstFailure(res);
    if (err) throw err;
    return { outcome: "deleted" };
  }

  /**
   * After a create whose connection dropped: what the create's batch did, from the host's
   * journal (read under the host's writer lock, so a relay still running finishes first), and
   * a delete of the device only if the journal proves that batch made it.
   */
  async settleCreate(d: DeviceRef, doubt: CreateInDoubt): Promise<DeleteOutcome> {
    const b = new RelayBatch();
    const j = b.add(`read the host's journal of the interrupted create of ${where(d)}`, { op: "journal", batch: doubt.batchId });
    const res = await this.run(b, false);
    const r = res.at(j);
    // No journal: the relay never started that batch.
    if (r?.kind === "oserror" && r.errno === ENOENT) return { outcome: "gone" };
    if (r?.kind !== "data") throw this.failure(res, j, netkitHint);
    const ops = new Map<number, RelayResult>();
    for (const line of r.data.toString().split("\n").filter(Boolean)) {
      const entry = JSON.parse(line) as { op?: number } & Record<string, unknown>;
      if (entry.op !== undefined) ops.set(entry.op, decodeResult(entry));
    }
    const created = ops.get(doubt.createOp);
    if (created?.kind !== "netlink" || created.status.errno !== 0) return { outcome: "gone" };
    const made = linkOf(ops.get(doubt.readOp));
    return this.deleteNetkit({ ...d, ...(made ? { ifindex: made.ifindex } : {}) });
  }

  /**
   * The peer of a pair's primary, for import: IFLA_LINK gives its ifindex and IFLA_LINK_NETNSID
   * the nsid of its netns, which is matched against the named netns (the nsid each has in the
   * host's netns). Two round trips: list the netns, then ask each for its nsid and the link.
   */
  async findPeer(primary: NetkitLink): Promise<{ ref: DeviceRef; link: NetkitLink; netnsName?: string }> {
    const ifindex = primary.linkIfindex;
    if (ifindex === undefined) throw new NetkitError(`${this.host}: ${primary.name} reports no peer (IFLA_LINK)`);
    if (primary.linkNetnsId === undefined) {
      const b = new RelayBatch({ readOnly: true });
      const i = b.add(`read the peer of ${primary.name} (ifindex ${ifindex})`, { op: "netlink", message: getLinkByIndexRequest(ifindex) });
      const res = await this.run(b);
      const err = this.firstFailure(res);
      const link = linkOf(res.at(i));
      if (err || !link) throw err ?? new NetkitError(`${this.host}: the peer of ${primary.name} (ifindex ${ifindex}) is not readable`);
      return { ref: { name: link.name }, link };
    }
    const found = (await this.locate([{ ifindex, nsid: primary.linkNetnsId }])).get(locationKey({ ifindex, nsid: primary.linkNetnsId }));
    if (found?.link && found.path) return { ref: { name: found.link.name, netns: found.path }, link: found.link, netnsName: found.netnsName! };
    throw new NetkitError(
      `${this.host}: the peer of ${primary.name} is in the netns with nsid ${primary.linkNetnsId}, which has no name in ${NETNS_DIR}; ` +
        "name it (ip netns attach NAME PID) and import again",
    );
  }

  /**
   * Links by ifindex in the netns that an nsid names as the host's netns sees it, matched
   * against the named netns in /run/netns (no nsid: the host's netns). Two round trips,
   * read-only: for what only messages and imports need (the names the user knows).
   */
  async locate(targets: LinkLocation[]): Promise<Map<string, Located>> {
    const out = new Map<string, Located>();
    const b = new RelayBatch({ readOnly: true });
    const here = targets
      .filter((t) => t.nsid === undefined)
      .map((t) => ({ t, i: b.add(`read ifindex ${t.ifindex}`, { op: "netlink", message: getLinkByIndexRequest(t.ifindex) }) }));
    const away = targets.filter((t) => t.nsid !== undefined);
    let names: string[] = [];
    if (away.length) {
      const list = new RelayBatch({ readOnly: true });
      const l = list.add(`list ${NETNS_DIR}`, { op: "listdir", path: NETNS_DIR });
      const listed = (await this.run(list, false)).at(l);
      names = listed?.kind === "names" ? listed.names : [];
    }
    const probes = names.map((n, k) => {
      const path = `${NETNS_DIR}/${n}`;
      b.add(`open netns ${path}`, { op: "openNetns", path: path, fd: FIRST_NS_FD + k });
      return {
        name: n,
        path,
        nsid: b.add(`nsid of ${path}`, { op: "netlink", message: getNsidRequest(FIRST_NS_FD + k) }),
        links: away.map((t) => b.add(`read ifindex ${t.ifindex} in ${path}`, { op: "netlink", message: getLinkByIndexRequest(t.ifindex), netns: path })),
      };
    });
    if (!here.length && !probes.length) return out;
    const res = await this.run(b, false);
    for (const { t, i } of here) {
      const link = linkOf(res.at(i));
      out.set(locationKey(t), link ? { link } : {});
    }
    for (const p of probes) {
      const r = res.at(p.nsid);
      const msg = r?.kind === "netlink" && r.status.errno === 0 ? r.messages.find(isNsidMessage) : undefined;
      const nsid = msg ? parseNsid(msg) : undefined;
      away.forEach((t, k) => {
        if (nsid !== t.nsid) return;
        const link = linkOf(res.at(p.links[k]!));
        out.set(locationKey(t), { netnsName: p.name, path: p.path, ...(link ? { link } : {}) });
      });
    }
    return out;
  }
}

/** A link as another netns's reply names it: ifindex, and the nsid of its netns (absent: the same netns). */
export interface LinkLocation {
  ifindex: number;
  nsid?: number;
}

/** Where a LinkLocation is: its netns by name and file (absent: not named, or the same netns) and the link, if readable. */
export interface Located {
  netnsName?: string;
  path?: string;
  link?: NetkitLink;
}

export function locationKey(l: LinkLocation): string {
  return `${l.ifindex}@${l.nsid ?? "-"}`;
}
