// `pulumi up` entry point: reads the host and the pod from stack config (README.md says how
// to set it): host, port, user, hostKey, privateKey (secret), netns, optional programPin.
import * as pulumi from "@pulumi/pulumi";
import { pairIntoNetns } from "./program";

const config = new pulumi.Config();
export const { ifindex, peerIfindex, peerNetnsId, mtu, programIds } = pairIntoNetns({
  connection: {
    host: config.require("host"),
    port: config.getNumber("port") ?? 22,
    user: config.get("user") ?? "root",
    privateKey: config.requireSecret("privateKey"),
    hostKey: config.require("hostKey"),
  },
  netns: config.get("netns") ?? "pod1",
  ...(config.get("programPin") ? { programPin: config.require("programPin") } : {}),
});
