// `pulumi up` entry point; needs Linux 7.1+ on the host (single mode, queue leasing).
// Config (README.md says how to set it): host, port, hostKey, privateKey (secret), netns, nic,
// queue, and optionally rss (true on a NIC with an RSS table), flowPort (on a NIC with flow
// rules), rxRing.
import * as pulumi from "@pulumi/pulumi";
import { zeroCopyPod } from "./program";

const config = new pulumi.Config();
export const { podIfindex, zcIfindex, zcQueue, napiId, queueUsers, nicBefore } = zeroCopyPod({
  connection: {
    host: config.require("host"),
    port: config.getNumber("port") ?? 22,
    privateKey: config.requireSecret("privateKey"),
    hostKey: config.require("hostKey"),
  },
  netns: config.get("netns") ?? "pod1",
  nic: config.require("nic"),
  queue: config.getNumber("queue") ?? 3,
  rxRing: config.getNumber("rxRing") ?? 64,
  rss: config.getBoolean("rss") ?? false,
  ...(config.getNumber("flowPort") !== undefined ? { flowPort: config.getNumber("flowPort")! } : {}),
});
