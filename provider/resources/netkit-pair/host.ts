// What a NetkitPair asks of its host, field by field: the create request (`ip link add NAME
// type netkit mode l2 … peer name PEER netns NS`, plus what iproute2 cannot set: headroom,
// tailroom), the in-place changes, what the kernel must have done, and the outputs read back.
// The generic link attributes of both sides (mtu, MAC address, queues, GSO/GRO limits, …) go
// through one table (link-attributes.ts); the fields this file maps itself are OWN_FIELDS.
import { NetkitError } from "../../errors";
import { relocates, type ChangeNetkit, type CreateNetkit, type DeviceRef, type NetkitLink } from "../../host/netkit";
import type { InputsOf, OutputsOf } from "../../definition/resource";
import { defined } from "../declared";
import { mismatch } from "../definition-driven";
import { netnsPath } from "../fields";
import type { netkitPairDefinition } from "./definition";
import type { DeclaredLeases } from "../leases/host";
import type { Hook, ObservedHook } from "../../host/programs";
import { attributeChecks, changedAttributes, createAttributes, reportedAttributes } from "../link-attributes";

type Inputs = InputsOf<typeof netkitPairDefinition>;
type Outputs = OutputsOf<typeof netkitPairDefinition>;

/** The inputs mapped here rather than through the link-attribute table (a unit test holds the two against the definition). */
export const OWN_FIELDS = [
  "connection",
  "name",
  "peerName",
  "peerNetns",
  "mode",
  "policy",
  "peerPolicy",
  "scrub",
  "peerScrub",
  "headroom",
  "tailroom",
  "peerLeases",
  "programs",
  "peerPrograms",
  "up",
  "peerUp",
] as const satisfies ReadonlyArray<keyof Inputs>;

export function refs(i: Pick<Inputs, "name" | "peerName" | "peerNetns">): { primary: DeviceRef; peer: DeviceRef } {
  return { primary: { name: i.name }, peer: i.peerNetns ? { name: i.peerName, netns: netnsPath(i.peerNetns) } : { name: i.peerName } };
}

export function createRequest(i: Inputs): CreateNetkit {
  const r = refs(i);
  const primary = createAttributes(i, "");
  const peer = createAttributes(i, "peer");
  return {
    primary: r.primary,
    peer: r.peer,
    create: {
      mode: i.mode,
      pairing: "pair",
      policy: i.policy,
      peerPolicy: i.peerPolicy,
      scrub: i.scrub,
      peerScrub: i.peerScrub,
      ...(i.headroom !== undefined ? { headroom: i.headroom } : {}),
      ...(i.tailroom !== undefined ? { tailroom: i.tailroom } : {}),
      primary: { name: i.name, ...primary.create },
      peer: defined({
        name: i.peerName,
        ...peer.create,
        // Room for the declared leases unless the program sized it (check made sure it fits).
        numRxQueues: i.peerNumRxQueues ?? (i.peerLeases?.length ? 1 + i.peerLeases.length : undefined),
      }),
    },
    primaryAfter: primary.after,
    peerAfter: peer.after,
    primaryUp: i.up,
    peerUp: i.peerUp,
    verify: (p, q, on) => {
      const why = verifyPair(i, p, q, on.release);
      return why ? new NetkitError(`${on.host}: ${why}`) : undefined;
    },
  };
}

/** What the kernel must have done; anything else is reported (and the device rolled back). */
export function verifyPair(i: Inputs, p: NetkitLink, q: NetkitLink | undefined, release: string): string | undefined {
  const nk = p.netkit;
  if (!nk) return `${i.name} was created but is not a netkit device`;
  // Kernels with single mode report PAIRING; on older ones a pair is still a pair.
  if (nk.pairing && nk.pairing !== "pair") return `${i.name} came up as a ${nk.pairing} device on kernel ${release}`;
  return mismatch(release, i.name, [
    ["mode", i.mode, nk.mode],
    ["scrub", i.scrub, nk.scrub],
    ["peerScrub", i.peerScrub, nk.peerScrub],
    ["policy", i.policy, nk.policy],
    ["peerPolicy", i.peerPolicy, nk.peerPolicy],
    ["headroom", i.headroom, nk.headroom],
    ["tailroom", i.tailroom, nk.tailroom],
    ...attributeChecks(i, p, ""),
    ...attributeChecks(i, q, "peer"),
  ]);
}

/** The in-place changes from `olds` to `news` (`changed`: the fields the diff found changed). */
export function changeRequest(olds: Outputs, news: Inputs, changed: string[]): ChangeNetkit {
  const primary = changedAttributes(news, "", changed);
  const peer = changedAttributes(news, "peer", changed);
  const has = (k: keyof Inputs) => changed.includes(k) && news[k] !== undefined;
  const was = refs(olds);
  const now = refs(news);
  // A renamed or moved device goes down first: it comes up again as declared.
  if (has("up") || olds.up !== news.up || relocates(was.primary, now.primary)) primary.up = news.up;
  if (has("peerUp") || olds.peerUp !== news.peerUp || relocates(was.peer, now.peer)) peer.up = news.peerUp;
  return {
    primary: { ...was.primary, ifindex: olds.ifindex },
    peer: { ...was.peer, ifindex: olds.peerIfindex },
    ...(relocates(was.primary, now.primary) ? { primaryTo: now.primary } : {}),
    ...(relocates(was.peer, now.peer) ? { peerTo: now.peer } : {}),
    primaryChange: primary,
    peerChange: peer,
    ...(changed.includes("policy") || olds.policy !== news.policy ? { policy: news.policy } : {}),
    ...(changed.includes("peerPolicy") || olds.peerPolicy !== news.peerPolicy ? { peerPolicy: news.peerPolicy } : {}),
  };
}

/**
 * Outputs: the inputs' keys with the values the kernel reports, plus read-only facts;
 * `leased`: the peer's declared leases that it holds (leases/host.ts).
 */
export function outputs(i: Inputs, p: NetkitLink, q: NetkitLink | undefined, leased: DeclaredLeases, hooks: Partial<Record<Hook, ObservedHook>> = {}): Outputs {
  const nk = p.netkit;
  return defined({
    ...i,
    // Programs are read only where declared: without a list there is nothing to compare.
    programs: i.programs !== undefined ? (hooks.primary?.programs ?? i.programs) : undefined,
    peerPrograms: i.peerPrograms !== undefined ? (hooks.peer?.programs ?? i.peerPrograms) : undefined,
    programIds: hooks.primary?.programIds ?? [],
    peerProgramIds: hooks.peer?.programIds ?? [],
    otherProgramIds: hooks.primary?.otherIds ?? [],
    peerOtherProgramIds: hooks.peer?.otherIds ?? [],
    // Only what was declared: a program without leases has none to compare.
    peerLeases: i.peerLeases !== undefined ? leased.leases : undefined,
    peerLeaseQueueIds: leased.queueIds,
    ...reportedAttributes(p, ""),
    ...reportedAttributes(q, "peer"),
    name: p.name,
    peerName: q?.name as string,
    mode: nk?.mode as Inputs["mode"],
    policy: nk?.policy as Inputs["policy"],
    peerPolicy: nk?.peerPolicy as Inputs["peerPolicy"],
    scrub: nk?.scrub as Inputs["scrub"],
    peerScrub: nk?.peerScrub as Inputs["peerScrub"],
    headroom: nk?.headroom,
    tailroom: nk?.tailroom,
    // l3 devices report an all-zero address: a MAC means something only in l2.
    macAddress: nk?.mode === "l2" ? p.macAddress : undefined,
    peerMacAddress: nk?.mode === "l2" ? q?.macAddress : undefined,
    up: p.up,
    peerUp: q?.up as boolean,
    ifindex: p.ifindex,
    peerIfindex: q?.ifindex as number,
    peerNetnsId: p.linkNetnsId,
  });
}
