// What a preview asks the host about a lease the change makes (resources/host-checks.ts):
// the NIC and its queue, the device's netns, and whether another stack's resource holds the
// queue's lease already (the host's records, leases/claims.ts). Not the device: it may be
// created by the same update.
import type { InputsOf } from "../../definition/resource";
import { netnsPath } from "../fields";
import { isNew, nicHasQueues, type HostCheckPlan } from "../host-checks";
import type { HostClient } from "../../host/client";
import { describesLease, readOwner } from "../../host/lease-owners";
import { heldElsewhere, sameStack, urnOf } from "../leases/claims";
import type { rxqBindingDefinition } from "./definition";

type Inputs = InputsOf<typeof rxqBindingDefinition>;

/** A queue leased already, whose holder the host records as another stack's resource: up would not adopt it. */
async function heldByAnotherStack(host: HostClient, nic: string, queue: number, urn: string): Promise<Array<{ property: string; reason: string }>> {
  const [a] = await host.ask([{ nic }]);
  const lease = a!.link && a!.rxQueues?.find((q) => q.id === queue)?.lease;
  if (!lease) return [];
  const r = await readOwner(host, a!.link!.ifindex, queue);
  if (!r || !describesLease(r, lease) || sameStack(r.urn, urn)) return [];
  return [{ property: "nicQueue", reason: `${host.host}: ${nic} RX queue ${queue} is leased already: ${heldElsewhere(r, a!.link!.ifindex, queue)}` }];
}

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
  if (urn && i.nic !== undefined && i.nicQueue !== undefined) asks.push(heldByAnotherStack(host, i.nic, i.nicQueue, urn));
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
