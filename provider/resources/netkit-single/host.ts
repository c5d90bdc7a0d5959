// What a NetkitSingle asks of its host, field by field: the create request (IFLA_NETKIT_PAIRING
// = single, which iproute2 cannot set), the in-place changes, what the kernel must have done,
// and the outputs read back. The generic link attributes (mtu, MAC address, queues, GSO/GRO
// limits, …) go through one table (link-attributes.ts); the fields mapped here are OWN_FIELDS.
import { NetkitError } from "../../errors";
import { missingFeature } from "../../features";
import { relocates, type ChangeNetkit, type CreateNetkit, type DeviceRef, type NetkitLink } from "../../host/netkit";
import type { InputsOf, OutputsOf } from "../../definition/resource";
import { defined } from "../declared";
import { mismatch } from "../definition-driven";
import { netnsPath } from "../fields";
import type { netkitSingleDefinition } from "./definition";
import type { DeclaredLeases } from "../leases/host";
import { attributeChecks, changedAttributes, createAttributes, reportedAttributes } from "../link-attributes";

type Inputs = InputsOf<typeof netkitSingleDefinition>;
type Outputs = OutputsOf<typeof netkitSingleDefinition>;

/** The inputs mapped here rather than through the link-attribute table (a unit test holds the two against the definition). */
export const OWN_FIELDS = ["connection", "name", "netns", "mode", "policy", "headroom", "tailroom", "leases", "up"] as const satisfies ReadonlyArray<keyof Inputs>;

export function ref(i: Pick<Inputs, "name" | "netns">): DeviceRef {
  return i.netns ? { name: i.name, netns: netnsPath(i.netns) } : { name: i.name };
}

export function createRequest(i: Inputs): CreateNetkit {
  const attributes = createAttributes(i, "");
  return {
    primary: ref(i),
    create: {
      mode: i.mode,
      pairing: "single",
      ...(i.headroom !== undefined ? { headroom: i.headroom } : {}),
      ...(i.tailroom !== undefined ? { tailroom: i.tailroom } : {}),
      primary: defined({
        name: i.name,
        ...attributes.create,
        // Room for the declared leases unless the program sized it (check made sure it fits).
        numRxQueues: i.numRxQueues ?? (i.leases?.length ? 1 + i.leases.length : undefined),
      }),
    },
    primaryAfter: attributes.after,
    primaryUp: i.up,
    verify: (p, _q, on) => verify(i, p, on),
  };
}

/** What the kernel must have done; anything else is reported (and the device rolled back). */
function verify(i: Inputs, d: NetkitLink, on: { host: string; release: string }): NetkitError | undefined {
  const nk = d.netkit;
  if (!nk) return new NetkitError(`${on.host}: ${i.name} was created but is not a netkit device`);
  // The preflight found single mode, or create would not have been sent; a kernel without it
  // ignores IFLA_NETKIT_PAIRING and makes a pair.
  if (nk.pairing !== "single") return missingFeature(on.host, on.release, "single", "NetkitSingle", `it made a ${nk.pairing ?? "pair"} instead`);
  const why = mismatch(on.release, i.name, [["mode", i.mode, nk.mode], ["headroom", i.headroom, nk.headroom], ["tailroom", i.tailroom, nk.tailroom], ...attributeChecks(i, d, "")]);
  return why ? new NetkitError(`${on.host}: ${why}`) : undefined;
}

/** The in-place changes from `olds` to `news` (`changed`: the fields the diff found changed). */
export function changeRequest(olds: Outputs, news: Inputs, changed: string[]): ChangeNetkit {
  const was = ref(olds);
  const now = ref(news);
  const moved = relocates(was, now);
  return {
    primary: { ...was, ifindex: olds.ifindex },
    ...(moved ? { primaryTo: now } : {}),
    primaryChange: defined({
      ...changedAttributes(news, "", changed),
      // A renamed or moved device goes down first: it comes up again as declared.
      up: olds.up !== news.up || moved ? news.up : undefined,
    }),
  };
}

/** The device as the kernel reports it; `leased`: its declared leases that it holds (leases/host.ts). */
export function outputs(i: Inputs, d: NetkitLink, leased: DeclaredLeases): Outputs {
  return defined({
    ...i,
    // Only what was declared: a program without leases has none to compare.
    leases: i.leases !== undefined ? leased.leases : undefined,
    leaseQueueIds: leased.queueIds,
    ...reportedAttributes(d, ""),
    name: d.name,
    mode: d.netkit?.mode as Inputs["mode"],
    policy: d.netkit?.policy as Inputs["policy"],
    headroom: d.netkit?.headroom,
    tailroom: d.netkit?.tailroom,
    // l3 devices report an all-zero address: a MAC means something only in l2.
    macAddress: d.netkit?.mode === "l2" ? d.macAddress : undefined,
    up: d.up,
    ifindex: d.ifindex,
  });
}
