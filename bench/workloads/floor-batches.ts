// Baseline (b′): (b)'s netlink work with one relay batch per pair, as the provider sends it
// (each create its own batch: its own netns fd, sockets and journal), all of them requested at
// once over one session, so the relay queue packs them into shared runs. Its host CPU against
// (b)'s is what a batch costs the host on its own.
import { RelayBatch } from "../../provider/host/batch";
import { delLinkRequest } from "../../provider/netlink/link";
import type { BenchHost } from "../host";
import { addOpenNetns, addPairCreate, addPairRead, readBackPair, runAll, withClient } from "./floor";
import { pairNames, type Workload } from "./workload";

const PREFIX = "nkb";
const WHO = "floor-batches";

/** One batch per pair, all requested at once on one fresh session; every op must succeed. */
function perPair(host: BenchHost, n: number, fill: (b: RelayBatch, i: number) => (res: Awaited<ReturnType<typeof runAll>>) => void) {
  return withClient(host, async (client) => {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const b = new RelayBatch();
        const check = fill(b, i);
        check(await runAll(client, b, WHO));
      }),
    );
  });
}

export const floorBatchesWorkload: Workload = {
  key: WHO,
  label: "(b′) (b) with one relay batch per pair, no Pulumi",
  prefix: PREFIX,
  start: async (host, n) => ({
    phases: [
      {
        phase: "up",
        run: () =>
          perPair(host, n, (b, i) => {
            addOpenNetns(b);
            addPairCreate(b, PREFIX, i);
            const [p, q] = addPairRead(b, PREFIX, i);
            return (res) => {
              if (!readBackPair(res, p, q)) throw new Error(`${WHO}: ${b.labels[p]} did not read back a netkit pair: ${JSON.stringify(res.at(p)).slice(0, 200)}`);
            };
          }),
      },
      {
        phase: "destroy",
        run: () =>
          perPair(host, n, (b, i) => {
            const { name } = pairNames(PREFIX, i);
            b.add(`delete ${name}`, { op: "netlink", message: delLinkRequest(name) });
            return () => undefined;
          }),
      },
    ],
    dispose: async () => undefined,
  }),
};
