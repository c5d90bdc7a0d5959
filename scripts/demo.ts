// `npm run demo`: the main job on an embedded default. Boots a disposable test host (a qemu
// VM running Linux 7.2 with netkit) and walks one stack through preview → up → an in-place
// change → a replacement → drift and refresh → destroy, printing what Pulumi shows and what
// the host has at each step. Nothing outside the VM and a temporary work dir is touched.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { NetkitPair } from "pulumi-netkit";
import { startTestHosts, type TestHost } from "../testhost";
import { SshSession } from "../provider/ssh/session";
import { connectionSchema } from "../provider/connection";
import { silentLogger } from "../provider/log";
import { repoRoot } from "../provider/artefacts";
// Inline runs share this process's gRPC runtime; see the module for why this matters.
import "../harness/inline-runtime";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s: string) => console.log(`\n${bold(`▶ ${s}`)}`);
const indent = (s: string) =>
  s
    .replace(/\n+$/, "")
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");

/** What the program declares; the demo edits it between steps. */
const desired = { mtu: 1500, mode: "l3" as "l3" | "l2" };
const NETNS = "demo-pod";

async function onHost(h: TestHost, argv: string[]): Promise<string> {
  const c = connectionSchema.parse({ host: h.host, port: h.port, user: h.user, privateKey: h.privateKey, hostKey: h.knownHostsLine });
  const s = await SshSession.open(c, silentLogger);
  try {
    const r = await s.exec(argv);
    return r.stdout.toString() + r.stderr.toString();
  } finally {
    s.close();
  }
}

async function hostView(h: TestHost): Promise<void> {
  console.log(indent(`on the host (ip -br link):\n${indent((await onHost(h, ["ip", "-br", "link"])).trim())}`));
  console.log(indent(`in ${NETNS} (ip -n ${NETNS} -br link):\n${indent((await onHost(h, ["ip", "-n", NETNS, "-br", "link"])).trim())}`));
}

// The engine's progress output, less what a reader does not need: progress dots, URNs, and
// the warning that the plugins come from PATH (they do here, by design).
const noise = [
  /^\s*$/,
  /^\s*\.\s*$/,
  /^\s*@ (updating|refreshing|destroying|previewing)/,
  /\[urn=/,
  /using pulumi-resource-\S+ from \$PATH/,
  /^\s*\d+ warnings?$/,
  /^\s*Diagnostics:$/,
  /^\s*pulumi:pulumi:Stack \(netkit-demo-demo\):$/,
];
let partial = "";
function engineOutput(chunk: string): void {
  const lines = (partial + chunk).split("\n");
  partial = lines.pop() ?? "";
  for (const l of lines) if (!noise.some((re) => re.test(l))) console.log(indent(l.replace(/\s+\d+ warnings?$/, "")));
}

async function main(): Promise<void> {
  const root = process.env.NETKIT_PULUMI_ROOT;
  if (!root) throw new Error("NETKIT_PULUMI_ROOT is not set: run `npm run demo`, which provisions the Pulumi CLI");
  say("Booting a disposable test host: qemu, Linux 7.2 with netkit, SSH on a loopback port with a pinned host key");
  const started = Date.now();
  const hosts = await startTestHosts(1, { name: "demo" });
  const host = hosts.hosts[0]!;
  const workDir = join(repoRoot, ".pulumi-work", `demo-${process.pid}`);
  try {
    console.log(indent(`Linux ${host.kernelRelease} at ${host.host}:${host.port}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s`));
    await onHost(host, ["ip", "netns", "add", NETNS]);
    console.log(indent(`made the pod's netns: ip netns add ${NETNS}`));

    mkdirSync(join(workDir, "state"), { recursive: true });
    const env = {
      PULUMI_BACKEND_URL: `file://${join(workDir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "demo",
      PULUMI_HOME: join(workDir, "home"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    // The program: one pod-style pair. No connection in it: the stack config below is the default.
    const program = async () => {
      const pair = new NetkitPair("web", { name: "nk-web0", peerName: "eth0", peerNetns: NETNS, mode: desired.mode, mtu: desired.mtu, peerMtu: desired.mtu });
      return { ifindex: pair.ifindex, peerIfindex: pair.peerIfindex };
    };
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "demo", projectName: "netkit-demo", program },
      { workDir, pulumiCommand: await PulumiCommand.get({ root }), envVars: env, projectSettings: { name: "netkit-demo", runtime: "nodejs" } },
    );
    say("Stack config: the default connection (the private key is stored encrypted)");
    await stack.setAllConfig({
      "netkit:host": { value: host.host },
      "netkit:port": { value: String(host.port) },
      "netkit:hostKey": { value: host.knownHostsLine },
      "netkit:privateKey": { value: host.privateKey, secret: true },
    });
    console.log(
      indent(`netkit:host ${host.host}\nnetkit:port ${host.port}\nnetkit:hostKey ${host.knownHostsLine.split(" ").slice(1).join(" ").slice(0, 40)}…\nnetkit:privateKey [secret]`),
    );
    const out = engineOutput;

    say("pulumi preview: what would change (nothing on the host is touched)");
    await stack.preview({ diff: true, onOutput: out, color: "never" });
    await hostView(host);

    say("pulumi up: create the pair, peer moved into the pod's netns");
    await stack.up({ onOutput: out, color: "never" });
    await hostView(host);

    say("An in-place change: mtu 1500 → 9000. preview shows an update (~), the device stays");
    desired.mtu = 9000;
    await stack.preview({ diff: true, onOutput: out, color: "never" });
    await stack.up({ onOutput: out, color: "never" });
    await hostView(host);

    say("An immutable change: mode l3 → l2. The kernel cannot change it on a live device: preview shows a replacement (+-)");
    desired.mode = "l2";
    await stack.preview({ diff: true, onOutput: out, color: "never" });
    await stack.up({ onOutput: out, color: "never" });
    await hostView(host);

    say("Drift: someone runs `ip link set nk-web0 mtu 1400` on the host; refresh records it, preview plans to restore it");
    await onHost(host, ["ip", "link", "set", "nk-web0", "mtu", "1400"]);
    await stack.refresh({ onOutput: out, color: "never" });
    await stack.preview({ diff: true, onOutput: out, color: "never" });

    say("pulumi destroy: remove the pair");
    await stack.destroy({ onOutput: out, color: "never" });
    await hostView(host);
    say("Done. The same program runs against a real host with `pulumi up`; see README.");
  } finally {
    await hosts.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
