// What a preview asks the host about a pair the change creates (resources/host-checks.ts):
// its names free (and the names and netns it is renamed or moved to), the peer's netns there, the NIC
// and queues of its peer's leases; and, for any pair, that its programs are pinned where it says.
import type { InputsOf } from "../../definition/resource";
import { holdNames, isNew, leasesFit, nameIsFree, programsArePinned, type HostCheckPlan } from "../host-checks";
import type { netkitPairDefinition } from "./definition";

type Inputs = InputsOf<typeof netkitPairDefinition>;

export const previewPlan: HostCheckPlan<Inputs> = async ({ host, inputs: i, olds }) => {
  if (olds)
    holdNames(host, [
      [olds.name, undefined],
      [olds.peerName, olds.peerNetns],
    ]);
  const asks = [];
  // With old inputs, a changed name or netns is a rename or move in place: the target must be free.
  if (i.name !== undefined && isNew(olds, i, "name")) asks.push(nameIsFree(host, i.name, "name", undefined, !!olds));
  if (i.peerName !== undefined && isNew(olds, i, "peerName", "peerNetns"))
    asks.push(nameIsFree(host, i.peerName, "peerName", i.peerNetns !== undefined ? { ref: i.peerNetns, field: "peerNetns" } : undefined, !!olds));
  if (isNew(olds, i, "peerLeases")) asks.push(leasesFit(host, i.peerLeases, "peerLeases"));
  // Pins are opened only by a change of the list (a refresh that found drift makes one too).
  if (isNew(olds, i, "programs")) asks.push(programsArePinned(host, i.programs, "programs"));
  if (isNew(olds, i, "peerPrograms")) asks.push(programsArePinned(host, i.peerPrograms, "peerPrograms"));
  return (await Promise.all(asks)).flat();
};
