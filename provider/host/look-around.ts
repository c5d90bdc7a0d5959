// What a preview may ask a host before anything changes (docs/guides/lifecycle.md, "Host checks at preview"):
// which device has a name in a netns (and whether that netns exists), and what a NIC is and
// which RX queues it has. Read-only: one relay batch per call, never the writer lock; answers
// are kept for the rest of the run by the HostClient that asked.
import { RelayBatch, type BatchResults } from "./batch";
import type { NetkitError } from "../errors";
import type { Hint } from "./failure";
import { linkOf, type NetkitLink } from "./netkit";
import { getLinkRequest } from "../netlink/link";
import { NETLINK_GENERIC } from "../netlink/constants";
import { parseQueue, queueGetDumpRequest, type QueueInfo } from "../netlink/netdev";

const ENOENT = 2;
const ENODEV = 19;

/** A device name in a netns (a path: /run/netns/NAME, /proc/PID/ns/net; absent: the host's). */
export interface LinkQuestion {
  link: string;
  netns?: string;
}

/** A NIC in the host's netns, with its RX queues when leasing is there to list them. */
export interface NicQuestion {
  nic: string;
}

export type Question = LinkQuestion | NicQuestion;

export type LinkAnswer = { netns: "missing" } | { netns: "invalid"; why: string } | { netns: "ok"; link?: NetkitLink };

export interface NicAnswer {
  link?: NetkitLink;
  /** Its RX queues as queue-get lists them: only for a NIC that is up, on a kernel with the netdev family. */
  rxQueues?: QueueInfo[];
}

/** The part of the host client this needs (client.ts calls in; no import cycle). */
interface BatchRunner {
  run(b: RelayBatch, stopOnError: boolean): Promise<BatchResults>;
  failure(res: BatchResults, i: number, hint: Hint): NetkitError;
}

export function questionKey(q: Question): string {
  return "nic" in q ? `nic ${q.nic}` : `link ${q.link} in ${q.netns ?? "the host's netns"}`;
}

/**
 * Asks the host the questions in one read-only batch: a link read per question (inside the
 * netns it names: the relay checks that it is a network namespace first), plus one queue-get
 * dump when a NIC's queues are asked for and `netdevFamilyId` is known.
 */
export async function lookAround(host: BatchRunner, questions: Question[], netdevFamilyId: number | undefined): Promise<Map<string, LinkAnswer | NicAnswer>> {
  const b = new RelayBatch({ readOnly: true });
  const at = questions.map((q) =>
    "nic" in q
      ? b.add(`read NIC ${q.nic}`, { op: "netlink", message: getLinkRequest(q.nic) })
      : b.add(`read ${q.link} in ${q.netns ?? "the host's netns"}`, { op: "netlink", message: getLinkRequest(q.link), netns: q.netns }),
  );
  const wantsQueues = netdevFamilyId !== undefined && questions.some((q) => "nic" in q);
  const dump = wantsQueues ? b.add("dump queues (queue-get)", { op: "netlink", message: queueGetDumpRequest(netdevFamilyId), proto: NETLINK_GENERIC, dump: true }) : -1;
  const res = await host.run(b, false);
  const d = res.at(dump);
  const queues = d?.kind === "netlink" && d.status.errno === 0 ? d.messages.map(parseQueue) : undefined;
  const out = new Map<string, LinkAnswer | NicAnswer>();
  questions.forEach((q, n) => {
    const i = at[n]!;
    const r = res.at(i);
    const errno = res.errno(i);
    if ("nic" in q) {
      const link = linkOf(r, true);
      if (errno !== 0 && errno !== ENODEV) throw host.failure(res, i, () => undefined);
      const a: NicAnswer = link ? { link } : {};
      if (link?.up && queues) a.rxQueues = queues.filter((x) => x.ifindex === link.ifindex && x.type === "rx");
      out.set(questionKey(q), a);
      return;
    }
    // The relay opens the netns before the op: a failure there is an OS error, not netlink's.
    if (r?.kind === "oserror") {
      out.set(questionKey(q), errno === ENOENT ? { netns: "missing" } : { netns: "invalid", why: r.message || `errno ${String(errno)}` });
      return;
    }
    if (errno !== 0 && errno !== ENODEV) throw host.failure(res, i, () => undefined);
    const link = linkOf(r, true);
    out.set(questionKey(q), link ? { netns: "ok", link } : { netns: "ok" });
  });
  return out;
}
