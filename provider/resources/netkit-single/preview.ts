// What a preview asks the host about a single device the change creates
// (resources/host-checks.ts): its name free in its netns (also the name or netns it is renamed or moved to), the NIC and queues of its leases.
import type { InputsOf } from "../../definition/resource";
import { holdNames, isNew, leasesFit, nameIsFree, type HostCheckPlan } from "../host-checks";
import type { netkitSingleDefinition } from "./definition";

type Inputs = InputsOf<typeof netkitSingleDefinition>;

export const previewPlan: HostCheckPlan<Inputs> = async ({ host, inputs: i, olds }) => {
  if (olds) holdNames(host, [[olds.name, olds.netns]]);
  const asks = [];
  // With old inputs, a changed name or netns is a rename or move in place: the target must be free.
  if (i.name !== undefined && isNew(olds, i, "name", "netns"))
    asks.push(nameIsFree(host, i.name, "name", i.netns !== undefined ? { ref: i.netns, field: "netns" } : undefined, !!olds));
  if (isNew(olds, i, "leases")) asks.push(leasesFit(host, i.leases, "leases"));
  return (await Promise.all(asks)).flat();
};
