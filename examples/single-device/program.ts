// A single netkit device in a pod's netns, with capacity for two leased NIC RX queues.
import { NetkitSingle, type ConnectionArgs } from "pulumi-netkit";

export interface SingleDeviceArgs {
  connection: ConnectionArgs;
  netns: string;
}

export function singleDevice(args: SingleDeviceArgs) {
  const dev = new NetkitSingle("xsk0", {
    connection: args.connection,
    name: "nk-xsk0",
    netns: args.netns,
    mode: "l2",
    // queue 0 is netkit's own; 1 and 2 are capacity for two RxqBinding leases.
    numRxQueues: 3,
  });
  return { ifindex: dev.ifindex, macAddress: dev.macAddress, numRxQueues: dev.numRxQueues };
}
