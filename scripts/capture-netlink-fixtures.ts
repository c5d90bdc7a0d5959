// Dev tool: captures real kernel replies for the codec's unit tests. Boots a test host,
// sends the provider's own requests through the relay and writes requests and replies as
// hex to test/fixtures/netlink/kernel.json. Run by hand after changing the codec:
//   npm run build && node dist/scripts/capture-netlink-fixtures.js
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { startTestHosts } from "../testhost";
import { rtnetlinkRequests } from "./netlink-requests";
import { SshSession } from "../provider/ssh/session";
import { connectionSchema } from "../provider/connection";
import { silentLogger } from "../provider/log";
import type { RelayOp, RelayResult } from "../provider/host/relay";
import { HostClient } from "../provider/host/client";
import { getLinkRequest, parseLink } from "../provider/netlink/link";
import { netkitNewLinkRequest } from "../provider/netlink/netkit";
import { NETDEV_FAMILY_NAME, NETLINK_GENERIC } from "../provider/netlink/constants";
import { getFamilyRequest, parseFamily } from "../provider/netlink/genl";
import { queueCreateRequest, queueGetDumpRequest } from "../provider/netlink/netdev";
import { dumpNsidsRequest, getNsidRequest, newNsidRequest } from "../provider/netlink/nsid";

type Cases = Record<string, { request: string; reply: string; errno: number; extack?: string }>;

/** Runs named ops in one relay batch and records each netlink exchange as a case. */
async function capture(s: SshSession, ops: Array<[string, RelayOp]>, cases: Cases): Promise<RelayResult[]> {
  const results = await HostClient.overSsh(s, silentLogger).request({ ops: ops.map(([, o]) => o), stopOnError: false });
  ops.forEach(([name, op], i) => {
    const r = results[i]!;
    if (r.kind !== "netlink" || op.op !== "netlink") return;
    cases[name] = { request: op.message.toString("hex"), reply: r.raw.toString("hex"), errno: r.status.errno, ...(r.status.message ? { extack: r.status.message } : {}) };
  });
  return results;
}

/**
 * Queue leasing (the netdev genl family) on a netdevsim NIC "capnic" (4 queues): leases to a
 * single device in the host's netns and to one created in the fresh netns "cap2" (with the
 * nsid sequence: none assigned, assign, read back), the read-back dump, and the refusals.
 */
async function captureLeasing(s: SshSession, cases: Cases, links: { single: number; primary: number; full: number }): Promise<void> {
  const cap2 = "/run/netns/cap2";
  const first = await capture(
    s,
    [
      ["getFamilyNetdev", { op: "netlink", message: getFamilyRequest(NETDEV_FAMILY_NAME), proto: NETLINK_GENERIC }],
      ["getFamilyUnknown", { op: "netlink", message: getFamilyRequest("netkit-nope"), proto: NETLINK_GENERIC }],
      ["openCap2", { op: "openNetns", path: cap2, fd: 102 }],
      ["createSingleNetns", { op: "netlink", message: netkitNewLinkRequest({ mode: "l3", pairing: "single", primary: { name: "capn", numRxQueues: 2, netnsFd: 102 } }) }],
      ["getSingleNetns", { op: "netlink", message: getLinkRequest("capn"), netns: cap2 }],
    ],
    cases,
  );
  const famReply = first[0]!;
  const nReply = first[4]!;
  if (famReply.kind !== "netlink" || !famReply.messages[0] || nReply.kind !== "netlink" || !nReply.messages[0]) throw new Error("no netdev family or no capn");
  const id = parseFamily(famReply.messages[0]).id;
  const capn = parseLink(nReply.messages[0]).ifindex;
  const nic = Number((await s.exec(["cat", "/sys/class/net/capnic/ifindex"])).stdout.toString().trim());
  const gen = (message: Buffer, netns?: string, dump = false): RelayOp => ({ op: "netlink", message, proto: NETLINK_GENERIC, dump, ...(netns ? { netns } : {}) });
  await capture(
    s,
    [
      ["openHostNetns", { op: "openNetns", path: "/proc/self/ns/net", fd: 100 }],
      ["openCap2Again", { op: "openNetns", path: cap2, fd: 101 }],
      ["getNsidUnassigned", { op: "netlink", message: getNsidRequest(100), netns: cap2 }],
      ["newNsid", { op: "netlink", message: newNsidRequest(100, 5), netns: cap2 }],
      ["newNsidAgain", { op: "netlink", message: newNsidRequest(100, 6), netns: cap2 }],
      ["getNsid", { op: "netlink", message: getNsidRequest(100), netns: cap2 }],
      ["dumpNsids", { op: "netlink", message: dumpNsidsRequest(), netns: cap2, dump: true }],
      ["queueCreate", gen(queueCreateRequest(id, { ifindex: links.single, leaseIfindex: nic, leaseQueue: 1 }))],
      ["queueCreateNetns", gen(queueCreateRequest(id, { ifindex: capn, leaseIfindex: nic, leaseQueue: 2, netnsId: 5 }), cap2)],
      ["queueCreateBusy", gen(queueCreateRequest(id, { ifindex: capn, leaseIfindex: nic, leaseQueue: 1, netnsId: 5 }), cap2)],
      ["queueCreateRange", gen(queueCreateRequest(id, { ifindex: links.single, leaseIfindex: nic, leaseQueue: 9 }))],
      ["queueCreatePrimary", gen(queueCreateRequest(id, { ifindex: links.primary, leaseIfindex: nic, leaseQueue: 3 }))],
      ["queueCreateNoSpare", gen(queueCreateRequest(id, { ifindex: links.full, leaseIfindex: nic, leaseQueue: 3 }))],
      ["queueCreateVirtualLessor", gen(queueCreateRequest(id, { ifindex: links.single, leaseIfindex: links.primary, leaseQueue: 0 }))],
      ["queueCreateUnknownNsid", gen(queueCreateRequest(id, { ifindex: capn, leaseIfindex: nic, leaseQueue: 3, netnsId: 77 }), cap2)],
      ["queueGetDump", gen(queueGetDumpRequest(id, nic), undefined, true)],
      ["getNsidOfCap2", { op: "netlink", message: getNsidRequest(101) }],
    ],
    cases,
  );
}

async function main(): Promise<void> {
  const set = await startTestHosts(1, { name: "capture" });
  const h = set.hosts[0]!;
  const s = await SshSession.open(connectionSchema.parse({ host: h.host, port: h.port, privateKey: h.privateKey, hostKey: h.knownHostsLine }), silentLogger);
  try {
    await s.run(["ip", "netns", "add", "cap"]);
    await s.run(["ip", "netns", "add", "cap2"]);
    // A netdevsim NIC with 4 RX queues, up (queue-get reports only devices that are up).
    await s.run([
      "sh",
      "-c",
      'echo "1 1 4" > /sys/bus/netdevsim/new_device; d=/sys/bus/netdevsim/devices/netdevsim1/net; while [ -z "$(ls $d)" ]; do sleep 0.05; done; ip link set "$(ls $d)" name capnic; ip link set capnic up',
    ]);
    const requests: Record<string, Buffer> = rtnetlinkRequests();
    const ops: Array<[string, RelayOp]> = [
      ["openNetns", { op: "openNetns", path: "/run/netns/cap", fd: 100 }],
      ["createPairL2", { op: "netlink", message: requests.createPairL2! }],
      ["createSingle", { op: "netlink", message: requests.createSingle! }],
      ["getPrimary", { op: "netlink", message: requests.getPrimary! }],
      ["getSingle", { op: "netlink", message: requests.getSingle! }],
      ["getPeer", { op: "netlink", message: requests.getPeer!, netns: "/run/netns/cap" }],
      ["changeMode", { op: "netlink", message: requests.changeMode! }],
      ["createExisting", { op: "netlink", message: requests.createExisting! }],
      ["singleWithBlackhole", { op: "netlink", message: requests.singleWithBlackhole! }],
      ["unknownKind", { op: "netlink", message: requests.unknownKind! }],
      ["capabilityProbe", { op: "netlink", message: requests.capabilityProbe! }],
      // A single device with no room for a lease (numRxQueues 1), for the leasing cases.
      ["createSingleFull", { op: "netlink", message: netkitNewLinkRequest({ mode: "l3", pairing: "single", primary: { name: "capz", numRxQueues: 1 } }) }],
      ["getSingleFull", { op: "netlink", message: getLinkRequest("capz") }],
    ];
    // The relay patches sequence numbers; raw replies come back per op.
    const cases: Cases = {};
    const results = await capture(s, ops, cases);
    const raw = await s.exec(["python3", "-c", "import sys; print(open('/proc/sys/kernel/osrelease').read().strip())"]);
    const ifindexOf = (name: string) => {
      const r = results[ops.findIndex(([n]) => n === name)];
      if (r?.kind !== "netlink" || !r.messages[0]) throw new Error(`no reply for ${name}`);
      return parseLink(r.messages[0]).ifindex;
    };
    await captureLeasing(s, cases, { single: ifindexOf("getSingle"), primary: ifindexOf("getPrimary"), full: ifindexOf("getSingleFull") });
    const dir = join(__dirname, "..", "..", "test", "fixtures", "netlink");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kernel.json"), JSON.stringify({ kernel: raw.stdout.toString().trim(), cases }, null, 2) + "\n");
    console.log(`captured ${Object.keys(cases).length} cases from Linux ${raw.stdout.toString().trim()}`);
  } finally {
    s.close();
    await set.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
