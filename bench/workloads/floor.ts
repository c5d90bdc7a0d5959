// Baseline (b), the practical floor: the same netlink work as N NetkitPairs, without Pulumi,
// over one SSH session per operation, each operation one relay batch (one round trip)
// built from the provider's own host layer: create + set up + read back for every pair,
// then read every pair, then delete every pair.
import { RelayBatch, type BatchResults } from "../../provider/host/batch";
import { HostClient } from "../../provider/host/client";
import { FIRST_NS_FD } from "../../provider/host/relay";
import { changeLinkRequest, delLinkRequest, getLinkRequest } from "../../provider/netlink/link";
import { netkitNewLinkRequest } from "../../provider/netlink/netkit";
import { linkOf } from "../../provider/host/netkit";
import { netnsPath } from "../../provider/resources/fields";
import { connectionSchema } from "../../provider/connection";
import { SshSession } from "../../provider/ssh/session";
import { silentLogger } from "../../provider/log";
import { connectionTo, PEER_NETNS, type BenchHost } from "../host";
import { pairNames, type Workload } from "./workload";

const PREFIX = "nkf";
const ns = netnsPath(PEER_NETNS);

/** A fresh SSH session to the host and its client for `fn`, closed afterwards. */
export async function withClient<T>(host: BenchHost, fn: (client: HostClient) => Promise<T>): Promise<T> {
  const session = await SshSession.open(connectionSchema.parse(connectionTo(host.host)), silentLogger);
  try {
    return await fn(HostClient.overSsh(session, silentLogger));
  } finally {
    session.close();
  }
}

/** Runs a batch; every op must succeed (`who` names the workload in the error); returns the results. */
export async function runAll(client: HostClient, b: RelayBatch, who: string) {
  const res = await client.run(b);
  const bad = res.firstFailed();
  if (bad >= 0) throw new Error(`${who}: ${b.labels[bad]} failed: ${res.errnoName(bad)}`);
  if (res.results.length !== b.ops.length) throw new Error(`${who}: ${b.ops.length} ops sent, ${res.results.length} results`);
  return res;
}

/** Runs one batch on a fresh session; every op must succeed; returns the results. */
function once(host: BenchHost, fill: (b: RelayBatch) => void) {
  const b = new RelayBatch();
  fill(b);
  return withClient(host, (client) => runAll(client, b, "floor"));
}

/** The pair's create, as the provider sends it: the peer into the netns opened at FIRST_NS_FD, then both sides up. */
export function addPairCreate(b: RelayBatch, prefix: string, i: number): void {
  const { name, peerName } = pairNames(prefix, i);
  const create = { mode: "l3", pairing: "pair", policy: "forward", peerPolicy: "forward", scrub: "default", peerScrub: "default" } as const;
  b.add(`create ${name}`, { op: "netlink", message: netkitNewLinkRequest({ ...create, primary: { name }, peer: { name: peerName, netnsFd: FIRST_NS_FD } }) });
  b.add(`set ${name} up`, { op: "netlink", message: changeLinkRequest(name, { up: true }) });
  b.add(`set ${peerName} up`, { op: "netlink", message: changeLinkRequest(peerName, { up: true }), netns: ns });
}

/** Reads of the pair's primary and peer; their op indexes. */
export function addPairRead(b: RelayBatch, prefix: string, i: number): [number, number] {
  const { name, peerName } = pairNames(prefix, i);
  return [b.add(`read ${name}`, { op: "netlink", message: getLinkRequest(name) }), b.add(`read ${peerName}`, { op: "netlink", message: getLinkRequest(peerName), netns: ns })];
}

/** Opens the peers' netns onto FIRST_NS_FD, for the creates that follow. */
export function addOpenNetns(b: RelayBatch): void {
  b.add(`open netns ${ns}`, { op: "openNetns", path: ns, fd: FIRST_NS_FD });
}

/** Whether the reads at `p` and `q` found a netkit primary and its peer. */
export function readBackPair(res: BatchResults, p: number, q: number): boolean {
  return linkOf(res.at(p))?.kind === "netkit" && !!linkOf(res.at(q));
}

/** Every pair's primary and peer read back as existing netkit devices. */
function readAll(b: RelayBatch, n: number): Array<[number, number]> {
  return Array.from({ length: n }, (_, i) => addPairRead(b, PREFIX, i));
}

export const floorWorkload: Workload = {
  key: "floor",
  label: "(b) batched netlink over one SSH session, no Pulumi",
  prefix: PREFIX,
  start: async (host, n) => {
    const check = (res: Awaited<ReturnType<typeof once>>, idx: Array<[number, number]>) => {
      for (const [p, q] of idx) if (!readBackPair(res, p, q)) throw new Error(`floor: op ${p} did not read back a netkit pair`);
    };
    return {
      phases: [
        {
          phase: "up",
          run: async () => {
            let idx: Array<[number, number]> = [];
            const res = await once(host, (b) => {
              addOpenNetns(b);
              for (let i = 0; i < n; i++) addPairCreate(b, PREFIX, i);
              idx = readAll(b, n);
            });
            check(res, idx);
          },
        },
        {
          phase: "refresh",
          run: async () => {
            let idx: Array<[number, number]> = [];
            check(await once(host, (b) => (idx = readAll(b, n))), idx);
          },
        },
        {
          phase: "destroy",
          run: async () => {
            await once(host, (b) => {
              for (let i = 0; i < n; i++) b.add(`delete ${pairNames(PREFIX, i).name}`, { op: "netlink", message: delLinkRequest(pairNames(PREFIX, i).name) });
            });
          },
        },
      ],
      dispose: async () => undefined,
    };
  },
};
