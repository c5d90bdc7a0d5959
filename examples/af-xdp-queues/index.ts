// `pulumi up` entry point; needs Linux 7.1+ on the host (netkit single mode, queue leasing).
// Config (README.md says how to set it): host, port, hostKey, privateKey (secret), netns, nic,
// queues (e.g. "3,4").
import * as pulumi from "@pulumi/pulumi";
import { afXdpQueues } from "./program";

const config = new pulumi.Config();
export const { podIfindex, xskIfindex, xskQueues } = afXdpQueues({
  connection: {
    host: config.require("host"),
    port: config.getNumber("port") ?? 22,
    privateKey: config.requireSecret("privateKey"),
    hostKey: config.require("hostKey"),
  },
  netns: config.get("netns") ?? "pod1",
  nic: config.require("nic"),
  queues: (config.get("queues") ?? "1,2").split(",").map(Number),
});
