// Baseline (b′): (b)'s netlink work with one relay batch per pair, as the provider sends it
// (each create its own batch: its own netns fd, sockets and journal), all of them requested at
// once over one session, so the relay queue packs them into shared runs. Its host CPU against
// (b)'s is what a batch costs the host on its own.
import { RelayBatch } from "../../provider/host/batch";
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

const PREFIX = "nkb";
const ns = netnsPath(PEER_NETNS);

/** One batch per pair, all requested at once on one fresh session; every op must succeed. */
async function perPair(host: BenchHost, n: number, fill: (b: RelayBatch, i: number) => void, check?: (b: RelayBatch, r: Awaited<ReturnType<HostClient["run"]>>) => void) {
  const session = await SshSession.open(connectionSchema.parse(connectionTo(host.host)), silentLogger);
  try {
    const client = HostClient.overSsh(session, silentLogger);
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const b = new RelayBatch();
        fill(b, i);
        const res = await client.run(b);
        const bad = res.firstFailed();
        if (bad >= 0) throw new Error(`floor-batches: ${b.labels[bad]} failed: ${res.errnoName(bad)}`);
        check?.(b, res);
      }),
    );
  } finally {
    session.close();
  }
}

export const floorBatchesWorkload: Workload = {
  key: "floor-batches",
  label: "(b′) (b) with one relay batch per pair, no Pulumi",
  prefix: PREFIX,
  start: async (host, n) => ({
    phases: [
      {
        phase: "up",
        run: () =>
          perPair(
            host,
            n,
            (b, i) => {
              const { name, peerName } = pairNames(PREFIX, i);
              const create = { mode: "l3", pairing: "pair", policy: "forward", peerPolicy: "forward", scrub: "default", peerScrub: "default" } as const;
              b.add(`open netns ${ns}`, { op: "openNetns", path: ns, fd: FIRST_NS_FD });
              b.add(`create ${name}`, { op: "netlink", message: netkitNewLinkRequest({ ...create, primary: { name }, peer: { name: peerName, netnsFd: FIRST_NS_FD } }) });
              b.add(`set ${name} up`, { op: "netlink", message: changeLinkRequest(name, { up: true }) });
              b.add(`set ${peerName} up`, { op: "netlink", message: changeLinkRequest(peerName, { up: true }), netns: ns });
              b.add(`read ${name}`, { op: "netlink", message: getLinkRequest(name) });
              b.add(`read ${peerName}`, { op: "netlink", message: getLinkRequest(peerName), netns: ns });
            },
            (b, res) => {
              const [p, q] = [b.ops.length - 2, b.ops.length - 1];
              if (linkOf(res.at(p))?.kind !== "netkit" || !linkOf(res.at(q)))
                throw new Error(`floor-batches: ${b.labels[p]} did not read back a netkit pair: ${JSON.stringify(res.at(p)).slice(0, 200)}`);
            },
          ),
      },
      {
        phase: "destroy",
        run: () => perPair(host, n, (b, i) => b.add(`delete ${pairNames(PREFIX, i).name}`, { op: "netlink", message: delLinkRequest(pairNames(PREFIX, i).name) })),
      },
    ],
    dispose: async () => undefined,
  }),
};
