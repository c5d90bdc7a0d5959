// The NIC side's wire formats without a host: ethtool netlink requests and replies, napi-get and
// napi-set, the generic netlink policy dump, RSS tables as ethtool computes them, and the
// SIOCETHTOOL flow-rule structs at the offsets of the Linux 7.2 headers (x86-64). Replies
// captured from a real kernel are decoded in nic-fixtures.test.ts.
import assert from "node:assert/strict";
import { decodeAttrs, encodeAttrs, nest, readU32, readU8, str, u16, u32, uint, readUint } from "../../../provider/netlink/attributes";
import { decodeMessages, encodeMessage } from "../../../provider/netlink/message";
import { decodeGenl, encodeGenl, parseOpPolicy } from "../../../provider/netlink/genl";
import { CTRL_ATTR, NLM_F_ACK, NLM_F_REQUEST } from "../../../provider/netlink/constants";
import {
  channelsSetRequest,
  defaultIndir,
  equalIndir,
  ETHTOOL_A_CHANNELS,
  ETHTOOL_A_HEADER,
  ETHTOOL_A_RINGS,
  ETHTOOL_A_RSS,
  ETHTOOL_MSG,
  indirShares,
  parseChannels,
  parseRings,
  parseRss,
  ringsSetProbeRequest,
  ringsSetRequest,
  rssSetRequest,
  weightedIndir,
} from "../../../provider/netlink/ethtool";
import { napiSetRequest, parseNapi } from "../../../provider/netlink/napi";
import {
  insertedLocation,
  ipBytes,
  ipText,
  parseRule,
  parseRuleCount,
  parseRuleLocations,
  ruleDeleteRequest,
  ruleInsertRequest,
  ruleLocationsRequest,
} from "../../../provider/netlink/flow-rules";

const FAM = 27;
const attrsOf = (b: Buffer) => decodeGenl(decodeMessages(b)[0]!).attrs;
const header = (b: Buffer, type: number) => decodeAttrs(attrsOf(b).get(type)!);
/** A reply as the kernel would send it: the family id, a genl header, attributes. */
const reply = (cmd: number, attrs: Parameters<typeof encodeAttrs>[0]) => decodeMessages(encodeGenl(FAM, 0, { cmd, version: 1 }, attrs))[0]!;

describe("unit: the NIC side's codec", () => {
  it("ethtool requests name the device by name, and by ifindex once known", () => {
    const byName = channelsSetRequest(FAM, { name: "eth1" }, { combined: 3 });
    assert.equal(decodeMessages(byName)[0]!.type, FAM);
    assert.equal(decodeGenl(decodeMessages(byName)[0]!).cmd, ETHTOOL_MSG.CHANNELS_SET);
    assert.equal(header(byName, ETHTOOL_A_CHANNELS.HEADER).get(ETHTOOL_A_HEADER.DEV_NAME)!.toString(), "eth1\0");
    assert.equal(header(byName, ETHTOOL_A_CHANNELS.HEADER).has(ETHTOOL_A_HEADER.DEV_INDEX), false);
    assert.equal(readU32(attrsOf(byName), ETHTOOL_A_CHANNELS.COMBINED_COUNT), 3);
    const both = ringsSetRequest(FAM, { name: "eth1", ifindex: 4 }, { rx: 64, tcpDataSplit: "enabled", hdsThresh: 0 });
    assert.equal(readU32(header(both, ETHTOOL_A_RINGS.HEADER), ETHTOOL_A_HEADER.DEV_INDEX), 4);
    const a = attrsOf(both);
    assert.deepEqual([readU32(a, ETHTOOL_A_RINGS.RX), readU8(a, ETHTOOL_A_RINGS.TCP_DATA_SPLIT), readU32(a, ETHTOOL_A_RINGS.HDS_THRESH)], [64, 2, 0]);
    assert.equal(decodeMessages(both)[0]!.flags, NLM_F_REQUEST | NLM_F_ACK);
  });

  it("the header split probe asks for an RX ring no NIC has, so that the kernel refuses before it changes anything", () => {
    const a = attrsOf(ringsSetProbeRequest(FAM, { name: "eth1" }, { tcpDataSplit: "disabled" }));
    assert.equal(readU32(a, ETHTOOL_A_RINGS.RX), 0xffffffff);
    assert.equal(readU8(a, ETHTOOL_A_RINGS.TCP_DATA_SPLIT), 1);
  });

  it("decodes channels and rings as the kernel fills them (counts only where the driver has a maximum)", () => {
    const c = parseChannels(reply(18, [u32(ETHTOOL_A_CHANNELS.COMBINED_MAX, 4), u32(ETHTOOL_A_CHANNELS.COMBINED_COUNT, 2)]));
    assert.deepEqual(c, { combined: { count: 2, max: 4 } });
    const r = parseRings(
      reply(16, [
        u32(ETHTOOL_A_RINGS.RX_MAX, 4096),
        u32(ETHTOOL_A_RINGS.RX, 512),
        require8(ETHTOOL_A_RINGS.TCP_DATA_SPLIT, 2),
        u32(ETHTOOL_A_RINGS.HDS_THRESH, 0),
        u32(ETHTOOL_A_RINGS.HDS_THRESH_MAX, 1024),
      ]),
    );
    assert.deepEqual(r, { rx: 512, rxMax: 4096, tcpDataSplit: "enabled", hdsThresh: 0, hdsThreshMax: 1024 });
    assert.deepEqual(parseRings(reply(16, [u32(ETHTOOL_A_RINGS.RX_MAX, 256), u32(ETHTOOL_A_RINGS.RX, 256)])), { rx: 256, rxMax: 256 }, "no split reported: auto");
  });

  it("RSS tables: the default and `equal N` spreads, `weight …` exactly as ethtool computes it, shares per queue", () => {
    assert.deepEqual(defaultIndir(8, 3), [0, 1, 2, 0, 1, 2, 0, 1]);
    assert.deepEqual(equalIndir(8, 2), [0, 1, 0, 1, 0, 1, 0, 1]);
    // ethtool's fill_indir_table with integer arithmetic: `weight 2 1 1` over 8 buckets, `weight 0 1` keeps queue 0 out.
    assert.deepEqual(weightedIndir(8, [2, 1, 1]), [0, 0, 0, 0, 1, 1, 2, 2]);
    assert.deepEqual(weightedIndir(8, [0, 1]), [1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(indirShares(weightedIndir(128, [1, 1, 1])), [42, 43, 43]);
    assert.deepEqual(indirShares(weightedIndir(128, [1, 1, 0, 2])), [32, 32, 0, 64]);
    const set = attrsOf(rssSetRequest(FAM, { name: "eth1" }, [0, 1, 0, 1]));
    assert.deepEqual(set.get(ETHTOOL_A_RSS.INDIR), Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]));
    assert.equal(attrsOf(rssSetRequest(FAM, { name: "eth1" }, [])).get(ETHTOOL_A_RSS.INDIR)!.length, 0, "an empty table: the driver's default");
    const table = Buffer.alloc(16);
    [0, 1, 2, 3].forEach((q, i) => table.writeUInt32LE(q, i * 4));
    assert.deepEqual(parseRss(reply(39, [{ type: ETHTOOL_A_RSS.INDIR, value: table }, u32(ETHTOOL_A_RSS.HFUNC, 1)])), { indir: [0, 1, 2, 3], hfunc: 1 });
  });

  it("napi-set sends only what changes; NLA_UINT values are read at either width", () => {
    const a = attrsOf(napiSetRequest(FAM, 8193, { deferHardIrqs: 2, groFlushTimeout: 2 ** 33 }));
    assert.equal(readU32(a, 2), 8193);
    assert.equal(readU32(a, 5), 2);
    assert.equal(a.get(6)!.length, 8, "a timeout beyond u32 goes as u64");
    assert.equal(readUint(a, 6), 2 ** 33);
    assert.equal(a.has(7), false);
    const n = parseNapi(reply(11, [u32(2, 8193), u32(1, 4), { type: 5, value: Buffer.from([3, 0, 0, 0]) }, uint(6, 20000), uint(7, 0), uint(8, 1)]));
    assert.deepEqual(n, { id: 8193, ifindex: 4, deferHardIrqs: 3, groFlushTimeout: 20000, irqSuspendTimeout: 0, threaded: "enabled" });
  });

  it("a GETPOLICY dump gives the attributes of the op's `do` policy", () => {
    const msg = (attrs: Parameters<typeof encodeAttrs>[0]) => decodeMessages(encodeMessage(16, 2, Buffer.concat([Buffer.from([10, 1, 0, 0]), encodeAttrs(attrs)])))[0]!;
    const opPolicy = msg([u16(CTRL_ATTR.FAMILY_ID, 20), nest(CTRL_ATTR.OP_POLICY, [nest(16, [u32(1, 0)])])]);
    const entry = (idx: number, type: number) => msg([nest(CTRL_ATTR.POLICY, [nest(idx, [nest(type, [u32(1, 3)])])])]);
    const types = parseOpPolicy([opPolicy, entry(0, 1), entry(0, 6), entry(0, 17), entry(1, 2)], 16);
    assert.deepEqual(
      [...types!].sort((a, b) => a - b),
      [1, 6, 17],
      "the header's nested policy (index 1) is not the op's",
    );
    assert.equal(parseOpPolicy([entry(0, 1)], 16), undefined, "no op map: the op has no do");
    void str;
  });

  it("flow rules: ethtool_rxnfc and ethtool_rx_flow_spec at the 7.2 headers' offsets", () => {
    const b = ruleInsertRequest({ flowType: "tcp6", dstIp: "2001:db8::5", dstPort: 9999, queue: 3 }, 0xffffffff);
    assert.equal(b.length, 192, "sizeof(struct ethtool_rxnfc)");
    assert.equal(b.readUInt32LE(0), 0x32, "ETHTOOL_SRXCLSRLINS");
    assert.equal(b.readUInt32LE(16), 5, "fs.flow_type TCP_V6_FLOW");
    assert.deepEqual(b.subarray(16 + 4 + 16, 16 + 4 + 32), ipBytes("2001:db8::5", true), "h_u.tcp_ip6_spec.ip6dst");
    assert.equal(b.readUInt16BE(16 + 4 + 34), 9999, "h_u pdst, network order");
    assert.equal(b.readUInt16BE(16 + 76 + 34), 0xffff, "m_u pdst: every bit compared");
    assert.ok(
      b.subarray(16 + 76, 16 + 76 + 16).every((x) => x === 0),
      "no source address: not compared",
    );
    assert.equal(b.readBigUInt64LE(16 + 152), 3n, "ring_cookie: the queue");
    assert.equal(b.readUInt32LE(16 + 160), 0xffffffff, "RX_CLS_LOC_ANY");
    // What GRXCLSRULE returns for it (location filled by the driver) reads back as declared.
    b.writeUInt32LE(7, 16 + 160);
    assert.equal(insertedLocation(b), 7);
    assert.deepEqual(parseRule(b), { flowType: "tcp6", location: 7, dstIp: "2001:db8::5", dstPort: 9999, queue: 3 });
    const v4 = parseRule(ruleInsertRequest({ flowType: "udp4", srcIp: "10.1.2.3", srcPort: 53, queue: 0 }, 2));
    assert.deepEqual(v4, { flowType: "udp4", location: 2, srcIp: "10.1.2.3", srcPort: 53, queue: 0 });
    assert.equal(ruleDeleteRequest(7).readUInt32LE(0), 0x31);
    assert.equal(ruleDeleteRequest(7).readUInt32LE(16 + 160), 7);
    const all = ruleLocationsRequest(2);
    assert.equal(all.length, 192 + 8);
    assert.equal(all.readUInt32LE(184), 2, "rule_cnt");
    all.writeUInt32LE(5, 188);
    all.writeUInt32LE(9, 192);
    assert.deepEqual(parseRuleLocations(all), [5, 9]);
    const cnt = Buffer.alloc(192);
    cnt.writeBigUInt64LE(BigInt(0x80000000 + 1024), 8);
    cnt.writeUInt32LE(3, 184);
    assert.deepEqual(parseRuleCount(cnt), { count: 3, tableSize: 1024, driverPicksLocation: true });
  });

  it("addresses as the kernel stores them", () => {
    for (const [ip, v6] of [
      ["10.0.0.1", false],
      ["2001:db8::5", true],
      ["::1", true],
      ["fe80::1:2", true],
      ["2001:db8:0:0:1:0:0:1", true],
    ] as const)
      assert.equal(ipText(ipBytes(ip, v6)), ip === "2001:db8:0:0:1:0:0:1" ? "2001:db8::1:0:0:1" : ip);
    assert.deepEqual(ipBytes("::ffff:10.0.0.1", true), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]));
    assert.throws(() => ipBytes("10.0.0.1", true), /not an IPv6 address/);
  });
});

function require8(type: number, v: number) {
  return { type, value: Buffer.from([v]) };
}
