// `pulumi up` entry point: reads the host from stack config.
//   pulumi config set host 10.0.0.5
//   pulumi config set --secret privateKey "$(cat ~/.ssh/id_ed25519)"
//   pulumi config set hostKey "$(ssh-keyscan -t ed25519 10.0.0.5 2>/dev/null)"
//   pulumi config set netns pod1        # created beforehand: ip netns add pod1
//   pulumi config set bigTcp 196608     # optional: GSO/GRO size limit in bytes
import * as pulumi from "@pulumi/pulumi";
import { bigTcpPod } from "./program";

const config = new pulumi.Config();
export const { ifindex, peerIfindex, gsoMaxSize, peerGroMaxSize } = bigTcpPod({
  connection: {
    host: config.require("host"),
    port: config.getNumber("port") ?? 22,
    user: config.get("user") ?? "root",
    privateKey: config.requireSecret("privateKey"),
    hostKey: config.require("hostKey"),
  },
  netns: config.get("netns") ?? "pod1",
  bigTcp: config.getNumber("bigTcp"),
  name: config.get("name"),
});
