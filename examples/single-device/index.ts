// `pulumi up` entry point; needs Linux 7.1+ on the host (netkit single mode).
// Config (README.md says how to set it): host, port, hostKey, privateKey (secret), netns.
import * as pulumi from "@pulumi/pulumi";
import { singleDevice } from "./program";

const config = new pulumi.Config();
export const { ifindex, macAddress, numRxQueues } = singleDevice({
  connection: {
    host: config.require("host"),
    port: config.getNumber("port") ?? 22,
    privateKey: config.requireSecret("privateKey"),
    hostKey: config.require("hostKey"),
  },
  netns: config.get("netns") ?? "pod1",
});
