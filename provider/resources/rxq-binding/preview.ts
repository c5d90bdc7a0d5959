// What a preview asks the host about a lease the change makes (resources/host-checks.ts):
// the NIC and its queue (free, or the binding's own lease, and not one another stack's
// resource holds by the host's records), and the device's netns. Not the device: it may be
// created by the same update.
import type { InputsOf } from "../../definition/resource";
import { netnsPath } from "../fields";
import { isNew, nicHasQueues, type HostCheckPlan } from "../host-checks";
import { urnOf } from "../leases/claims";
import type { rxqBindingDefinition } from "./definition";

type Inputs = InputsOf<typeof rxqBindingDefinition>;

export const previewPlan: HostCheckPlan<Inputs> = async ({ host, inputs: i, olds }) => {
  if (!isNew(olds, i, "nic", "nicQueue", "netns", "deviceName")) return [];
  const asks = [];
  const urn = urnOf(i);
  if (i.nic !== undefined && i.nicQueue !== undefined)
    asks.push(
      nicHasQueues(host, i.nic, [{ queue: i.nicQueue, field: "nicQueue" }], "nic", {
        name: i.deviceName,
        ...(i.netns !== undefined ? { netns: netnsPath(i.netns) } : {}),
        held: olds?.nic === i.nic && olds?.nicQueue !== undefined ? [olds.nicQueue] : [],
        ...(urn !== undefined ? { urn } : {}),
      }),
    );
  if (i.netns !== undefined)
    asks.push(
      host.ask([{ link: i.deviceName ?? "lo", netns: netnsPath(i.netns) }]).then(([a]) => {
        if (a!.netns === "missing") return [{ property: "netns", reason: `${host.host}: netns ${i.netns} does not exist: create it first (ip netns add ${i.netns})` }];
        if (a!.netns === "invalid") return [{ property: "netns", reason: `${host.host}: ${i.netns} cannot be used as a network namespace: ${a!.why}` }];
        return [];
      }),
    );
  return (await Promise.all(asks)).flat();
};
