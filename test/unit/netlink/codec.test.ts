// The netlink codec on bytes captured from a real Linux 7.2 kernel (test/fixtures/netlink,
// made by scripts/capture-netlink-fixtures.ts): every decoder reads what the kernel wrote,
// and every encoder still writes the requests that kernel accepted.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rtnetlinkRequests } from "../../../scripts/netlink-requests";
import { join } from "node:path";
import { decodeMessages, parseStatus } from "../../../provider/netlink/message";
import { parseLink, bufferToMac, macToBuffer } from "../../../provider/netlink/link";
import { decodeNetkitInfo, netkitNewLinkRequest } from "../../../provider/netlink/netkit";
import { decodeAttrs, encodeAttrs, nest, str, u16, readNested, readStr, readU32, readU16 } from "../../../provider/netlink/attributes";
import { IFLA, IFLA_INFO, IFLA_NETKIT, IFINFOMSG_LEN, NETDEV_A_QUEUE, NETDEV_CMD, NLA_F_NESTED, RTM_NEWLINK } from "../../../provider/netlink/constants";
import { getFamilyRequest, parseFamily } from "../../../provider/netlink/genl";
import { parseQueue, parseQueueCreateReply, queueCreateRequest, queueGetDumpRequest } from "../../../provider/netlink/netdev";
import { dumpNsidsRequest, getNsidRequest, isNsidMessage, lowestFreeNsid, newNsidRequest, parseNsid } from "../../../provider/netlink/nsid";
import { classifyNetdevFamily } from "../../../provider/host/preflight";
import { errnoName } from "../../../provider/host/relay";
import { leaseHint } from "../../../provider/resources/leases/rules";

interface Case {
  request: string;
  reply: string;
  errno: number;
  extack?: string;
}
const fixture = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "..", "test", "fixtures", "netlink", "kernel.json"), "utf8")) as {
  kernel: string;
  cases: Record<string, Case>;
};
const c = (name: string) => fixture.cases[name]!;
const replies = (name: string) => decodeMessages(Buffer.from(c(name).reply, "hex"));
const linkOf = (name: string) => parseLink(replies(name).find((m) => m.type === RTM_NEWLINK)!);

describe(`unit: netlink codec on replies captured from Linux ${fixture.kernel}`, () => {
  it("decodes the primary of an l2 pair with every netkit attribute", () => {
    const l = linkOf("getPrimary");
    assert.equal(l.name, "cap0");
    assert.equal(l.kind, "netkit");
    assert.equal(l.mtu, 9000);
    assert.equal(l.macAddress, "02:00:00:00:aa:01");
    assert.equal(l.numTxQueues, 1);
    assert.equal(typeof l.linkNetnsId, "number", "the peer lives in another netns");
    assert.equal(typeof l.linkIfindex, "number");
    assert.deepEqual(decodeNetkitInfo(l.data!), {
      primary: true,
      mode: "l2",
      policy: "blackhole",
      scrub: "none",
      peerPolicy: "forward",
      peerScrub: "default",
      headroom: 64,
      tailroom: 32,
      pairing: "pair",
    });
  });

  it("decodes the peer: not primary, its own queues, the primary's settings as its peer's", () => {
    const l = linkOf("getPeer");
    assert.equal(l.name, "cap0p");
    assert.equal(l.macAddress, "02:00:00:00:aa:02");
    assert.equal(l.numRxQueues, 4);
    const nk = decodeNetkitInfo(l.data!);
    assert.equal(nk.primary, false);
    assert.equal(nk.policy, "forward");
    assert.equal(nk.peerPolicy, "blackhole");
    assert.equal(nk.headroom, 64);
  });

  it("decodes a single device: pairing single, no scrub, no peer settings", () => {
    const l = linkOf("getSingle");
    assert.equal(l.numRxQueues, 3);
    const nk = decodeNetkitInfo(l.data!);
    assert.equal(nk.pairing, "single");
    assert.equal(nk.primary, true);
    assert.equal(nk.scrub, undefined);
    assert.equal(nk.peerPolicy, undefined);
    assert.equal(l.macAddress, "00:00:00:00:00:00", "the kernel reports an all-zero address for l3 devices");
  });

  it("reads acks and errors with the kernel's extack text", () => {
    for (const name of ["createPairL2", "createSingle"]) assert.deepEqual(parseStatus(replies(name).at(-1)!), { errno: 0 }, name);
    const refused = parseStatus(replies("changeMode").at(-1)!)!;
    assert.equal(refused.errno, 13);
    assert.equal(refused.message, "netkit link operating mode cannot be changed after device creation");
    assert.equal(typeof refused.offset, "number", "the kernel points at the offending attribute");
    assert.equal(parseStatus(replies("createExisting").at(-1)!)!.errno, 17);
    assert.deepEqual(parseStatus(replies("unknownKind").at(-1)!), { errno: 95, message: "Unknown device type" });
    for (const [name, k] of Object.entries(fixture.cases)) {
      const s = parseStatus(decodeMessages(Buffer.from(k.reply, "hex")).at(-1)!)!;
      assert.equal(s.errno, k.errno, name);
      assert.equal(s.message, k.extack, name);
    }
  });

  it("the encoders still produce the bytes that kernel accepted", () => {
    for (const [name, bytes] of Object.entries(rtnetlinkRequests())) assert.equal(bytes.toString("hex"), c(name).request, name);
  });

  it("a create request carries the netkit attributes where the kernel looks for them", () => {
    const [m] = decodeMessages(Buffer.from(c("createPairL2").request, "hex"));
    const a = decodeAttrs(m!.payload.subarray(IFINFOMSG_LEN));
    assert.equal(readStr(a, IFLA.IFNAME), "cap0");
    const info = readNested(a, IFLA.LINKINFO)!;
    assert.equal(readStr(info, IFLA_INFO.KIND), "netkit");
    const data = readNested(info, IFLA_INFO.DATA)!;
    assert.equal(readU32(data, IFLA_NETKIT.MODE), 0);
    assert.equal(readU32(data, IFLA_NETKIT.POLICY), 2);
    assert.equal(readU16(data, IFLA_NETKIT.HEADROOM), 64);
    assert.equal(data.has(IFLA_NETKIT.PAIRING), false, "a pair never sends PAIRING (older kernels would ignore it anyway)");
    const peer = decodeAttrs(data.get(IFLA_NETKIT.PEER_INFO)!.subarray(IFINFOMSG_LEN));
    assert.equal(readStr(peer, IFLA.IFNAME), "cap0p");
    assert.equal(readU32(peer, IFLA.NET_NS_FD), 100);
    assert.equal(readU32(peer, IFLA.NUM_RX_QUEUES), 4);
  });

  it("refuses what the kernel would refuse before encoding it", () => {
    assert.throws(() => netkitNewLinkRequest({ mode: "l3", pairing: "pair", primary: { name: "a", macAddress: "02:00:00:00:00:01" } }), /mode l2/);
    assert.throws(() => netkitNewLinkRequest({ mode: "l3", pairing: "single", scrub: "default", primary: { name: "a" } }), /single mode/);
  });

  it("attributes: nested flag set on nests, 4-byte alignment, malformed input rejected", () => {
    const b = encodeAttrs([str(1, "ab"), nest(2, [u16(1, 7)])]);
    assert.equal(b.length % 4, 0);
    assert.equal(b.readUInt16LE(8 + 2) & NLA_F_NESTED, NLA_F_NESTED);
    const m = decodeAttrs(b);
    assert.equal(readStr(m, 1), "ab");
    assert.equal(readU16(readNested(m, 2)!, 1), 7);
    assert.throws(() => decodeAttrs(Buffer.from([0xff, 0x00, 0x01, 0x00])), /malformed/);
    assert.throws(() => decodeMessages(Buffer.from("ffffffff000000000000000000000000", "hex")), /malformed/);
    assert.equal(bufferToMac(macToBuffer("02:ab:00:00:00:0f")), "02:ab:00:00:00:0f");
  });
});

describe(`unit: generic netlink and queue leasing codec on replies captured from Linux ${fixture.kernel}`, () => {
  const familyId = () => parseFamily(replies("getFamilyNetdev")[0]!).id;
  const queues = () =>
    replies("queueGetDump")
      .filter((m) => m.type === familyId())
      .map(parseQueue);
  const nicIfindex = () => queues()[0]!.ifindex;
  const nsidReply = (name: string) => parseNsid(replies(name).find(isNsidMessage)!);

  it("GETFAMILY resolves the netdev family and its ops: queue-create (16) is the leasing probe", () => {
    const f = parseFamily(replies("getFamilyNetdev")[0]!);
    assert.equal(f.name, "netdev");
    assert.equal(f.version, 1);
    assert.ok(f.id >= 16, "allocated above the reserved ids");
    assert.ok(f.ops.has(NETDEV_CMD.QUEUE_GET) && f.ops.has(NETDEV_CMD.QUEUE_CREATE));
    assert.deepEqual(classifyNetdevFamily(replies("getFamilyNetdev")[0]), { queueLease: true, netdevFamilyId: f.id });
    assert.equal(c("getFamilyUnknown").errno, 2, "an unknown family is ENOENT");
    assert.deepEqual(classifyNetdevFamily(undefined), { queueLease: false });
  });

  it("netns ids: none at first, RTM_NEWNSID assigns one, a second is refused, the dump lists it", () => {
    assert.equal(nsidReply("getNsidUnassigned"), -1);
    assert.equal(nsidReply("getNsid"), 5);
    assert.deepEqual(replies("dumpNsids").filter(isNsidMessage).map(parseNsid), [5]);
    assert.equal(c("newNsidAgain").extack, "Peer netns already has a nsid assigned");
    assert.equal(lowestFreeNsid([0, 1, 3]), 2);
    assert.equal(lowestFreeNsid([]), 0);
  });

  it("queue-create answers the lessee's new queue index: 1 for a device's first lease", () => {
    assert.equal(parseQueueCreateReply(replies("queueCreate")[0]!), 1);
    assert.equal(parseQueueCreateReply(replies("queueCreateNetns")[0]!), 1);
  });

  it("queue-get dumped on the NIC names each lessee; NETNS_ID only when it lives in another netns", () => {
    const rx = queues().filter((q) => q.type === "rx");
    assert.deepEqual(
      rx.map((q) => q.id),
      [0, 1, 2, 3],
    );
    const single = linkOf("getSingle").ifindex;
    const inNetns = linkOf("getSingleNetns").ifindex;
    assert.deepEqual(rx[1]!.lease, { ifindex: single, queueId: 1 });
    assert.deepEqual(rx[2]!.lease, { ifindex: inNetns, queueId: 1, netnsId: nsidReply("getNsidOfCap2") });
    assert.equal(rx[0]!.lease, undefined);
    assert.equal(rx[3]!.lease, undefined);
    assert.ok(rx.every((q) => !q.xsk && !q.memoryProvider));
    assert.ok(queues().some((q) => q.type === "tx"));
  });

  it("the encoders still produce the requests that kernel accepted (both nests NLA_F_NESTED)", () => {
    const id = familyId();
    const nic = nicIfindex();
    const now: Record<string, Buffer> = {
      getFamilyNetdev: getFamilyRequest("netdev"),
      getNsidUnassigned: getNsidRequest(100),
      newNsid: newNsidRequest(100, 5),
      dumpNsids: dumpNsidsRequest(),
      queueCreate: queueCreateRequest(id, { ifindex: linkOf("getSingle").ifindex, leaseIfindex: nic, leaseQueue: 1 }),
      queueCreateNetns: queueCreateRequest(id, { ifindex: linkOf("getSingleNetns").ifindex, leaseIfindex: nic, leaseQueue: 2, netnsId: 5 }),
      queueGetDump: queueGetDumpRequest(id, nic),
    };
    for (const [name, bytes] of Object.entries(now)) assert.equal(bytes.toString("hex"), c(name).request, name);
    const [m] = decodeMessages(now.queueCreateNetns!);
    const payload = m!.payload.subarray(4);
    // IFINDEX (8 bytes), TYPE (8 bytes), then the LEASE nest whose QUEUE nest follows LEASE.IFINDEX.
    assert.equal(payload.readUInt16LE(16 + 2), NETDEV_A_QUEUE.LEASE | NLA_F_NESTED);
    assert.equal(payload.readUInt16LE(16 + 4 + 8 + 2), 2 | NLA_F_NESTED);
  });

  it("every refusal the kernel gave carries a hint saying what to do", () => {
    for (const name of ["queueCreateBusy", "queueCreateRange", "queueCreatePrimary", "queueCreateNoSpare", "queueCreateVirtualLessor", "queueCreateUnknownNsid"]) {
      const k = c(name);
      assert.notEqual(k.errno, 0, name);
      assert.ok(leaseHint(errnoName(k.errno), k.extack), name);
    }
    assert.match(leaseHint("EINVAL", c("queueCreateNoSpare").extack)!, /numRxQueues/);
    assert.match(leaseHint("EOPNOTSUPP", c("queueCreatePrimary").extack)!, /peer/);
  });
});
