// Dev tool: captures real kernel replies for the codec's unit tests. Boots a test host,
// sends the provider's own requests through the relay and writes requests and replies as
// hex to test/fixtures/netlink/kernel.json. Run by hand after changing the codec:
//   npm run build && node dist/scripts/capture-netlink-fixtures.js
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { startTestHosts } from "../testhost";
import { SshSession } from "../provider/ssh/session";
import { connectionSchema } from "../provider/ssh/connection";
import { silentLogger } from "../provider/log";
import { runRelay, type RelayOp } from "../provider/host/relay";
import { getLinkRequest, newLinkRequest, changeLinkRequest } from "../provider/netlink/link";
import { netkitNewLinkRequest } from "../provider/netlink/netkit";
import { u32 } from "../provider/netlink/attributes";
import { IFLA_NETKIT } from "../provider/netlink/constants";
import { netkitProbeRequest } from "../provider/host/preflight";

async function main(): Promise<void> {
  const set = await startTestHosts(1, { name: "capture" });
  const h = set.hosts[0]!;
  const s = await SshSession.open(connectionSchema.parse({ host: h.host, port: h.port, privateKey: h.privateKey, hostKey: h.knownHostsLine }), silentLogger);
  try {
    await s.run(["ip", "netns", "add", "cap"]);
    const requests: Record<string, Buffer> = {
      createPairL2: netkitNewLinkRequest({
        mode: "l2", pairing: "pair", policy: "blackhole", peerPolicy: "forward", scrub: "none", peerScrub: "default", headroom: 64, tailroom: 32,
        primary: { name: "cap0", mtu: 9000, address: "02:00:00:00:aa:01" },
        peer: { name: "cap0p", address: "02:00:00:00:aa:02", numRxQueues: 4, netnsFd: 100 },
      }),
      createSingle: netkitNewLinkRequest({ mode: "l3", pairing: "single", primary: { name: "caps", numRxQueues: 3 } }),
      getPrimary: getLinkRequest("cap0"),
      getSingle: getLinkRequest("caps"),
      getPeer: getLinkRequest("cap0p"),
      changeMode: changeLinkRequest("cap0", { kind: { kind: "netkit", data: [u32(IFLA_NETKIT.MODE, 1)] } }),
      createExisting: netkitNewLinkRequest({ mode: "l3", pairing: "pair", primary: { name: "cap0" }, peer: { name: "capx" } }),
      singleWithBlackhole: netkitNewLinkRequest({ mode: "l3", pairing: "single", policy: "blackhole", primary: { name: "capb" } }),
      unknownKind: newLinkRequest({ name: "capk" }, "netkit-nope", []),
      capabilityProbe: netkitProbeRequest(),
    };
    const ops: Array<[string, RelayOp]> = [
      ["openNetns", { openNetns: "/run/netns/cap", fd: 100 }],
      ["createPairL2", { netlink: requests.createPairL2! }],
      ["createSingle", { netlink: requests.createSingle! }],
      ["getPrimary", { netlink: requests.getPrimary! }],
      ["getSingle", { netlink: requests.getSingle! }],
      ["getPeer", { netlink: requests.getPeer!, netns: "/run/netns/cap" }],
      ["changeMode", { netlink: requests.changeMode! }],
      ["createExisting", { netlink: requests.createExisting! }],
      ["singleWithBlackhole", { netlink: requests.singleWithBlackhole! }],
      ["unknownKind", { netlink: requests.unknownKind! }],
      ["capabilityProbe", { netlink: requests.capabilityProbe! }],
    ];
    // The relay patches sequence numbers; raw replies come back per op.
    const results = await runRelay(s, { ops: ops.map(([, o]) => o), stopOnError: false });
    const raw = await s.exec(["python3", "-c", "import sys; print(open('/proc/sys/kernel/osrelease').read().strip())"]);
    const cases: Record<string, { request: string; reply: string; errno: number; extack?: string }> = {};
    ops.forEach(([name], i) => {
      const r = results[i]!;
      if (r.kind !== "netlink") return;
      cases[name] = { request: requests[name]!.toString("hex"), reply: r.raw.toString("hex"), errno: r.status.errno, ...(r.status.message ? { extack: r.status.message } : {}) };
    });
    const dir = join(__dirname, "..", "..", "test", "fixtures", "netlink");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kernel.json"), JSON.stringify({ kernel: raw.stdout.toString().trim(), cases }, null, 2) + "\n");
    console.log(`captured ${Object.keys(cases).length} cases from Linux ${raw.stdout.toString().trim()}`);
  } finally {
    s.close();
    await set.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
