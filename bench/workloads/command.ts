// Baseline (a), the same devices made by a creation command per resource. Without a
// pulumi-command plugin (PULUMI_COMMAND_PLUGIN unset): (a'), an emulation of remote.Command's
// cost model as a dynamic resource (command-emulation-provider.ts). With it: the real
// plugin's `command:remote:Command`, declared by type token (no npm SDK needed).
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dynamicType, providerModule } from "../../sdk/provider-shim";
import { toCommandLine } from "../../provider/ssh/argv";
import { engineInstance } from "../engine";
import { connectionTo, PEER_NETNS, type BenchHost } from "../host";
import { pairNames, type Workload } from "./workload";

/** The commands a user of remote.Command would write for one pair, quoted safely. */
function commands(ip: string, prefix: string, i: number): { create: string; delete: string; check: string } {
  const { name, peerName } = pairNames(prefix, i);
  // Up on both sides, like NetkitPair's defaults (up, peerUp): the same end state.
  const create = [
    [ip, "link", "add", name, "type", "netkit", "peer", "name", peerName, "netns", PEER_NETNS],
    [ip, "link", "set", name, "up"],
    [ip, "-n", PEER_NETNS, "link", "set", peerName, "up"],
  ];
  const check = [
    [ip, "link", "show", "dev", name],
    [ip, "-n", PEER_NETNS, "link", "show", "dev", peerName],
  ];
  return { create: create.map(toCommandLine).join(" && "), delete: toCommandLine([ip, "link", "del", name]), check: check.map(toCommandLine).join(" && ") };
}

class EmulatedCommand extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super(
      dynamicType("bench", "EmulatedCommand"),
      name,
      { stdout: undefined, ...props, __provider: providerModule("pulumi-netkit/dist/bench/workloads/command-emulation-provider", "commandEmulationProvider") },
      { additionalSecretOutputs: ["connection"] },
    );
  }
}

class RemoteCommand extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("command:remote:Command", name, { stdout: undefined, stderr: undefined, ...props });
  }
}

function connection(host: BenchHost) {
  const c = connectionTo(host.host);
  return pulumi.secret({ host: c.host, port: c.port!, user: c.user!, privateKey: c.privateKey!, hostKey: c.hostKey! });
}

export const commandEmulationWorkload: Workload = {
  key: "command",
  label: "(a') remote.Command cost model, emulated",
  prefix: "nkc",
  start: (host, n) =>
    engineInstance(
      "bench-command",
      n,
      async () => {
        const conn = connection(host);
        for (let i = 0; i < n; i++) new EmulatedCommand(`cmd${i}`, { connection: conn, ...commands(host.ip, "nkc", i) });
      },
      { refreshVariants: [{ phase: "refresh+check", env: { NETKIT_BENCH_COMMAND_READ: "check" } }] },
    ),
};

/** (a) with the real plugin: PULUMI_COMMAND_PLUGIN names a pulumi-resource-command binary. */
export function commandPluginWorkload(plugin: string): Workload {
  return {
    key: "command-plugin",
    label: "(a) pulumi-command remote.Command (real plugin)",
    prefix: "nkr",
    start: (host, n) => {
      // The engine finds plugins on PATH by name: give it this one under the name it looks for.
      const dir = mkdtempSync(join(tmpdir(), "netkit-bench-command-"));
      symlinkSync(resolve(plugin), join(dir, "pulumi-resource-command"));
      return engineInstance(
        "bench-command-plugin",
        n,
        async () => {
          const c = connectionTo(host.host);
          // remote.Command's connection has no host key field: it accepts any key.
          const conn = pulumi.secret({ host: c.host, port: c.port!, user: c.user!, privateKey: c.privateKey! });
          for (let i = 0; i < n; i++) {
            const { create, delete: del } = commands(host.ip, "nkr", i);
            new RemoteCommand(`cmd${i}`, { connection: conn, create, delete: del });
          }
        },
        { env: { PATH: `${dir}:${process.env.PATH ?? ""}` } },
      );
    },
  };
}
