// The links an import needs to name, found by what the kernel reports of them: a pair's peer
// (IFLA_LINK and IFLA_LINK_NETNSID of its primary), and links by ifindex in the netns that
// an nsid names, matched against the named netns in /run/netns. Read-only.
import { NetkitError } from "../errors";
import { getLinkByIndexRequest } from "../netlink/link";
import { getNsidRequest, isNsidMessage, parseNsid } from "../netlink/nsid";
import { RelayBatch, type BatchHost } from "./batch";
import { firstFailure } from "./failure";
import { linkOf, netkitHint, NETNS_DIR, type DeviceRef, type NetkitLink } from "./netkit";
import { FIRST_NS_FD } from "./relay";

/**
 * The peer of a pair's primary, for import: IFLA_LINK gives its ifindex and IFLA_LINK_NETNSID
 * the nsid of its netns, which is matched against the named netns (the nsid each has in the
 * host's netns). Two round trips: list the netns, then ask each for its nsid and the link.
 */
export async function findPeer(host: BatchHost, primary: NetkitLink): Promise<{ ref: DeviceRef; link: NetkitLink; netnsName?: string }> {
  const ifindex = primary.linkIfindex;
  if (ifindex === undefined) throw new NetkitError(`${host.host}: ${primary.name} reports no peer (IFLA_LINK)`);
  if (primary.linkNetnsId === undefined) {
    const b = new RelayBatch({ readOnly: true });
    const i = b.add(`read the peer of ${primary.name} (ifindex ${ifindex})`, { op: "netlink", message: getLinkByIndexRequest(ifindex) });
    const res = await host.run(b);
    const err = firstFailure(host.host, res, netkitHint);
    const link = linkOf(res.at(i));
    if (err || !link) throw err ?? new NetkitError(`${host.host}: the peer of ${primary.name} (ifindex ${ifindex}) is not readable`);
    return { ref: { name: link.name }, link };
  }
  const found = (await locate(host, [{ ifindex, nsid: primary.linkNetnsId }])).get(locationKey({ ifindex, nsid: primary.linkNetnsId }));
  if (found?.link && found.path) return { ref: { name: found.link.name, netns: found.path }, link: found.link, netnsName: found.netnsName! };
  throw new NetkitError(
    `${host.host}: the peer of ${primary.name} is in the netns with nsid ${primary.linkNetnsId}, which has no name in ${NETNS_DIR}; ` +
      "name it (ip netns attach NAME PID) and import again",
  );
}

/**
 * Links by ifindex in the netns that an nsid names as the host's netns sees it, matched
 * against the named netns in /run/netns (no nsid: the host's netns). Two round trips,
 * read-only: for what only messages and imports need (the names the user knows).
 */
export async function locate(host: BatchHost, targets: LinkLocation[]): Promise<Map<string, Located>> {
  const out = new Map<string, Located>();
  const b = new RelayBatch({ readOnly: true });
  const here = targets.filter((t) => t.nsid === undefined).map((t) => ({ t, i: b.add(`read ifindex ${t.ifindex}`, { op: "netlink", message: getLinkByIndexRequest(t.ifindex) }) }));
  const away = targets.filter((t) => t.nsid !== undefined);
  let names: string[] = [];
  if (away.length) {
    const list = new RelayBatch({ readOnly: true });
    const l = list.add(`list ${NETNS_DIR}`, { op: "listdir", path: NETNS_DIR });
    const listed = (await host.run(list, false)).at(l);
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
  const res = await host.run(b, false);
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
