// Programs that use the real provider plugin (bin/pulumi-resource-netkit, found on PATH by
// the engine) rather than the dynamic provider: resources by type token, as any language's
// program declares them.
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import type { TestHost } from "../../testhost";
import { toolOnHost } from "./shared-host";

class NetkitResource extends pulumi.CustomResource {
  declare readonly ifindex: pulumi.Output<number>;
}

/** A resource of the netkit package, through the plugin; `ifindex` is exposed as an output. */
export function pluginResource(type: "NetkitPair" | "NetkitSingle" | "RxqBinding", name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions): NetkitResource {
  return new NetkitResource(`netkit:index:${type}`, name, { ifindex: undefined, ...props }, opts);
}

/** The provider's configuration (stack config netkit:*): the default connection to `host`. */
export async function configureProvider(stack: Stack, host: TestHost): Promise<void> {
  await stack.setAllConfig({
    "netkit:host": { value: host.host },
    "netkit:port": { value: String(host.port) },
    "netkit:user": { value: host.user },
    "netkit:hostKey": { value: host.knownHostsLine },
    "netkit:privateKey": { value: host.privateKey, secret: true },
  });
}

/**
 * A netkit-aware `ip` on the test host, for making devices by hand as an operator would: the
 * one scripts/test.sh provides (scripts/toolchain/iproute2.sh), copied into the guest's /tmp.
 */
export function netkitIp(host: TestHost): Promise<string> {
  const ip = process.env.NETKIT_IP;
  if (!ip) throw new Error("NETKIT_IP is not set: run the tests through `npm test`, which provides a netkit-aware iproute2");
  return toolOnHost(host, ip, "/tmp/netkit-ip");
}
