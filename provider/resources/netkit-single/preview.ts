// What a preview asks the host about a single device the change creates
// (resources/host-checks.ts): its name free in its netns (also the name or netns it is renamed or moved to), the NIC and queues of its leases.
import type { InputsOf } from "../../definition/resource";
import { heldBefore, holdNames, isNew, leasesFit, nameIsFree, type HostCheckPlan } from "../host-checks";
import type { netkitSingleDefinition } from "./definition";
import type { NetkitLink } from "../../host/netkit";
import { netnsPath } from "../fields";

type Inputs = InputsOf<typeof netkitSingleDefinition>;

export const previewPlan: HostCheckPlan<Inputs> = async ({ host, inputs: i, olds }) => {
  if (olds) holdNames(host, [[olds.name, olds.netns]]);
  // A single device could be this resource's own (a forced replacement checks without olds).
  const single = (l: NetkitLink) => l.netkit?.pairing === "single";
  const asks = [];
  // With old inputs, a changed name or netns is a rename or move in place: the target must be free.
  if (i.name !== undefined && isNew(olds, i, "name", "netns"))
    asks.push(nameIsFree(host, i.name, "name", i.netns !== undefined ? { ref: i.netns, field: "netns" } : undefined, { renaming: !!olds, sameKind: single }));
  if (isNew(olds, i, "leases"))
    asks.push(leasesFit(host, i.leases, "leases", { name: i.name, ...(i.netns !== undefined ? { netns: netnsPath(i.netns) } : {}), held: heldBefore(olds?.leases, i.leases) }));
  return (await Promise.all(asks)).flat();
};
