// What a preview asks the host about a pair the change creates (resources/host-checks.ts):
// its names free (and the names and netns it is renamed or moved to), the peer's netns there, the NIC
// and queues of its peer's leases; and, for any pair, that its programs are pinned where it says.
import type { InputsOf } from "../../definition/resource";
import { heldBefore, holdNames, isNew, leasesFit, nameIsFree, programsArePinned, type HostCheckPlan } from "../host-checks";
import type { netkitPairDefinition } from "./definition";
import type { NetkitLink } from "../../host/netkit";
import { netnsPath } from "../fields";

type Inputs = InputsOf<typeof netkitPairDefinition>;

export const previewPlan: HostCheckPlan<Inputs> = async ({ host, inputs: i, olds }) => {
  if (olds)
    holdNames(host, [
      [olds.name, undefined],
      [olds.peerName, olds.peerNetns],
    ]);
  const asks = [];
  // With old inputs, a changed name or netns is a rename or move in place: the target must be free.
  // Without, a device of the pair's kind under the name may be its own (a forced replacement).
  const primary = (l: NetkitLink) => !!l.netkit?.primary && l.netkit.pairing !== "single";
  const peer = (l: NetkitLink) => !!l.netkit && !l.netkit.primary;
  if (i.name !== undefined && isNew(olds, i, "name")) asks.push(nameIsFree(host, i.name, "name", undefined, { renaming: !!olds, sameKind: primary }));
  if (i.peerName !== undefined && isNew(olds, i, "peerName", "peerNetns"))
    asks.push(nameIsFree(host, i.peerName, "peerName", i.peerNetns !== undefined ? { ref: i.peerNetns, field: "peerNetns" } : undefined, { renaming: !!olds, sameKind: peer }));
  if (isNew(olds, i, "peerLeases"))
    asks.push(
      leasesFit(host, i.peerLeases, "peerLeases", {
        name: i.peerName,
        ...(i.peerNetns !== undefined ? { netns: netnsPath(i.peerNetns) } : {}),
        held: heldBefore(olds?.peerLeases, i.peerLeases),
      }),
    );
  // Pins are opened only by a change of the list (a refresh that found drift makes one too).
  if (isNew(olds, i, "programs")) asks.push(programsArePinned(host, i.programs, "programs"));
  if (isNew(olds, i, "peerPrograms")) asks.push(programsArePinned(host, i.peerPrograms, "peerPrograms"));
  return (await Promise.all(asks)).flat();
};
