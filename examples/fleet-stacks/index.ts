// The program of one stack: the pod pairs of the hosts the driver (driver.ts) put in its
// config. `hosts` (JSON: name, host, port, user, hostKey of each), `pods`, `netns`, `prefix`;
// the SSH key is the provider's secret config, netkit:privateKey. A stack is an ordinary stack
// of this project: `pulumi preview -s node-a` in this directory works on it as on any other.
import * as pulumi from "@pulumi/pulumi";
import type { FleetHost } from "./fleet";
import { hostPods } from "./program";

const config = new pulumi.Config();
const pods = hostPods(config.requireObject<FleetHost[]>("hosts"), {
  pods: config.requireNumber("pods"),
  netns: config.require("netns"),
  prefix: config.get("prefix") ?? "pod",
});

/** The ifindex of each pod's primary device, by host. */
export const ifindexes = Object.fromEntries(Object.entries(pods).map(([host, pairs]) => [host, pairs.map((p) => p.ifindex)]));
