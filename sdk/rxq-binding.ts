import * as pulumi from "@pulumi/pulumi";
import type { RxqBindingInputs, RxqBindingOutputs } from "./types";
import { NetkitPair } from "./netkit-pair";
import { type NetkitSingle } from "./netkit-single";
import { dynamicResource, stackTracesOff, withSecrets, type ArgsOf, type OutputPropsOf } from "./resource";

type SpecArgs = ArgsOf<RxqBindingInputs>;
type DeviceKeys = "connection" | "deviceName" | "netns" | "deviceIfindex";

/**
 * Either `device` (recommended) or `deviceName` (+ `netns`). With `device` the binding takes
 * the device's name, netns and connection from it (a pair's *peer*), is `deletedWith` it
 * (removing both deletes the device only, which ends its leases) and `replaceWith` it (a
 * re-created device re-creates its bindings). Leases that should simply live and die with the
 * device are simpler declared on it: NetkitSingle.leases, NetkitPair.peerLeases.
 */
export type RxqBindingArgs = Omit<SpecArgs, DeviceKeys> &
  Partial<Pick<SpecArgs, DeviceKeys>> & {
    /** The netkit device that receives the queue: a NetkitSingle, or a NetkitPair (its peer). */
    device?: NetkitSingle | NetkitPair;
  };

function fromDevice(name: string, device: NetkitSingle | NetkitPair, args: Omit<RxqBindingArgs, "device">): SpecArgs {
  for (const k of ["deviceName", "netns", "deviceIfindex"] as const)
    if (args[k] !== undefined) throw new Error(`RxqBinding ${name}: ${k} comes from \`device\`; give one or the other`);
  // The device's name and netns (known at preview), not its ifindex (unknown while the device
  // changes): a binding follows its device by replaceWith, so that an update in place of the
  // device previews as nothing for the binding, and a replacement as a replacement.
  const side = device instanceof NetkitPair ? { deviceName: device.peerName, netns: device.peerNetns } : { deviceName: device.name, netns: device.netns };
  return { ...args, ...side, connection: args.connection ?? device.connection } as SpecArgs;
}

/** A NIC RX queue leased to a netkit device (Linux 7.1+); see docs/reference/RxqBinding.md and docs/guides/queue-leasing.md. */
// The interface declares the outputs the engine sets on the class (it declares no typed properties of its own).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface RxqBinding extends OutputPropsOf<RxqBindingOutputs> {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class RxqBinding extends pulumi.CustomResource {
  constructor(name: string, args: RxqBindingArgs, opts?: pulumi.CustomResourceOptions) {
    const { device, ...rest } = args;
    const resolved = device ? fromDevice(name, device, rest) : (rest as SpecArgs);
    if (resolved.deviceName === undefined) throw new Error(`RxqBinding ${name}: give \`device\` (a NetkitSingle or NetkitPair) or \`deviceName\``);
    const options = device ? { deletedWith: device, ...opts, replaceWith: [device, ...(opts?.replaceWith ?? [])] } : opts;
    const limit = stackTracesOff();
    try {
      const r = dynamicResource("RxqBinding", resolved, { name, opts: options });
      super(r.type, name, r.props, withSecrets(options));
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}
