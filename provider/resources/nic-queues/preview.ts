// What a preview asks the host about a NicQueues change (resources/host-checks.ts): the NIC
// and what its driver implements for each declared setting, the NIC's limits, queues in use
// that a channel change would remove (naming who uses them), and whether the kernel would take
// the header split settings (a RINGS_SET it refuses before changing anything: host/nic.ts).
import type { InputsOf } from "../../definition/resource";
import { isNew, type HostCheckPlan } from "../host-checks";
import { refusals } from "./plan";
import type { nicQueuesDefinition } from "./definition";
import { surveyFor, wantOf } from "./host";

type Inputs = InputsOf<typeof nicQueuesDefinition>;

const FIELDS = ["nic", "combinedChannels", "rxChannels", "rxRing", "tcpDataSplit", "hdsThresh", "rssEqual", "rssWeights"] as const;

export const previewPlan: HostCheckPlan<Inputs> = async ({ host, facts, inputs: i, olds }) => {
  if (i.nic === undefined || !isNew(olds, i, ...FIELDS)) return [];
  const s = await surveyFor(host, facts, i);
  const size = s.rss && "ok" in s.rss ? s.rss.ok.indir.length : 1;
  const rss = i.rssEqual !== undefined ? ("rssEqual" as const) : i.rssWeights !== undefined ? ("rssWeights" as const) : undefined;
  const found = refusals(host.host, i.nic, s, { ...wantOf(i, size || 1, facts), ...(rss ? { rssDeclared: rss, rssQueues: i.rssEqual ?? i.rssWeights?.length } : {}) });
  return found.map((r) => ({ property: r.field, reason: r.error.message }));
};
