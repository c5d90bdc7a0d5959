// The pod pairs of one stack: `pods` pairs on each of its hosts, the peers in the netns
// `netns`. The connection names the host and pins its key; the credentials come from the
// stack's config (netkit:privateKey, secret), so they are stored once per stack, not in every
// resource.
import { NetkitPair } from "pulumi-netkit";
import type { FleetHost } from "./fleet";

export interface PodsArgs {
  /** Pod pairs per host. */
  pods: number;
  /** The netns the peers go into (made beforehand on every host: ip netns add NAME). */
  netns: string;
  /** Device names are PREFIX<i> and PREFIX<i>p, at most 15 bytes each. */
  prefix: string;
}

export function hostPods(hosts: FleetHost[], args: PodsArgs): Record<string, NetkitPair[]> {
  const out: Record<string, NetkitPair[]> = {};
  for (const h of hosts) {
    const connection = { host: h.host, port: h.port ?? 22, user: h.user ?? "root", hostKey: h.hostKey };
    out[h.name] = Array.from(
      { length: args.pods },
      (_, i) => new NetkitPair(`${h.name}-${args.prefix}${i}`, { connection, name: `${args.prefix}${i}`, peerName: `${args.prefix}${i}p`, peerNetns: args.netns }),
    );
  }
  return out;
}
