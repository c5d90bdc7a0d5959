// The provider plugin route: the same N NetkitPairs declared in a Pulumi YAML program, served
// by bin/pulumi-resource-netkit (the plugin) instead of the dynamic provider, the connection
// from stack config, through the `pulumi` CLI as a user runs it (--skip-preview, as the
// Automation API runs the dynamic provider's stack: one engine run per operation).
import { join } from "node:path";
import { yamlProject } from "../../harness/yaml";
import { PEER_NETNS } from "../host";
import { pairNames, type Phase, type Workload } from "./workload";

const PREFIX = "nky";

export const pluginWorkload: Workload = {
  key: "plugin",
  label: "pulumi-netkit (NetkitPair, provider plugin, Pulumi YAML)",
  prefix: PREFIX,
  resourceType: ":NetkitPair",
  start: async (host, n) => {
    const resources = Array.from({ length: n }, (_, i) => {
      const { name, peerName } = pairNames(PREFIX, i);
      return `  pair${i}:\n    type: netkit:index:NetkitPair\n    properties:\n      name: ${name}\n      peerName: ${peerName}\n      peerNetns: ${PEER_NETNS}\n`;
    }).join("");
    const p = await yamlProject(`bench-plugin-${n}`, host.host, `resources:\n${resources}`);
    const step = (phase: Phase, args: string[], check: RegExp) => ({
      phase,
      run: async () => {
        const out = await p.pulumi(...args);
        if (!check.test(out)) throw new Error(`plugin: pulumi ${args[0]} did not do what it must:\n${out.split("\n").slice(-15).join("\n")}`);
      },
    });
    return {
      stateDir: join(p.dir, "state"),
      phases: [
        step("up", ["up", "--yes", "--skip-preview", "--color", "never"], new RegExp(`${n + 1} created`)),
        step("preview", ["preview", "--expect-no-changes", "--color", "never"], new RegExp(`${n + 1} unchanged`)),
        step("refresh", ["refresh", "--yes", "--skip-preview", "--color", "never"], new RegExp(`${n + 1} unchanged`)),
        step("destroy", ["destroy", "--yes", "--skip-preview", "--color", "never"], new RegExp(`${n + 1} deleted`)),
      ],
      dispose: async () => {
        await p.pulumi("destroy", "--yes").catch(() => undefined);
        p.cleanup();
      },
    };
  },
};
