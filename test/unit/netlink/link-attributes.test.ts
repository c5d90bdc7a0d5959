// The generic link attributes (LINK_ATTRIBUTES: mtu, MAC address, queues, GSO/GRO limits,
// alias, group, …) and renames/moves on the wire: what the requests carry, what a real
// kernel's dump decodes to, and what a create and an update send per side.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeAttrs, readStr, readU32 } from "../../../provider/netlink/attributes";
import { AF_INET, IFINFOMSG_LEN, IFLA, IFLA_INET, IPV4_DEVCONF } from "../../../provider/netlink/constants";
import { changeLinkRequest, moveLinkRequest, parseLink, sideAttrs } from "../../../provider/netlink/link";
import { decodeIfInfo, decodeMessages } from "../../../provider/netlink/message";
import { changedAttributes, createAttributes, reportedAttributes } from "../../../provider/resources/link-attributes";

const fixture = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "..", "test", "fixtures", "netlink", "kernel.json"), "utf8")) as {
  kernel: string;
  cases: Record<string, { reply: string }>;
};
const attrsOf = (req: Buffer) => decodeAttrs(decodeMessages(req)[0]!.payload.subarray(IFINFOMSG_LEN));

describe("unit: link attributes and renames on the wire", () => {
  it("a change carries each setting as its IFLA_* u32, the alias as bytes without NUL", () => {
    const a = attrsOf(changeLinkRequest("nk0", { gsoMaxSize: 196608, gsoMaxSegs: 1000, groMaxSize: 131072, gsoIpv4MaxSize: 65536, groIpv4MaxSize: 0, group: 7, alias: "pod1" }));
    assert.deepEqual(
      [IFLA.GSO_MAX_SIZE, IFLA.GSO_MAX_SEGS, IFLA.GRO_MAX_SIZE, IFLA.GSO_IPV4_MAX_SIZE, IFLA.GRO_IPV4_MAX_SIZE, IFLA.GROUP].map((t) => readU32(a, t)),
      [196608, 1000, 131072, 65536, 0, 7],
    );
    assert.deepEqual(a.get(IFLA.IFALIAS), Buffer.from("pod1"));
    assert.equal(attrsOf(changeLinkRequest("nk0", { alias: "" })).get(IFLA.IFALIAS)?.length, 0, "an empty alias removes it");
  });

  it("rp_filter goes as IFLA_AF_SPEC → AF_INET → IFLA_INET_CONF → IPV4_DEVCONF_RP_FILTER (u32), only to a live device", () => {
    const conf = decodeAttrs(decodeAttrs(attrsOf(changeLinkRequest("nk0", { rpFilter: 2 })).get(IFLA.AF_SPEC)!).get(AF_INET)!).get(IFLA_INET.CONF)!;
    assert.equal(readU32(decodeAttrs(conf), IPV4_DEVCONF.RP_FILTER), 2);
    assert.deepEqual(
      createAttributes({ peerRpFilter: 0, peerMtu: 1400 }, "peer"),
      { create: { mtu: 1400 }, after: { rpFilter: 0 } },
      "a device has no IPv4 settings before it is registered",
    );
  });

  it("creation takes every attribute but those only a live device takes (rtnl_create_link ignores IFLA_IFALIAS): they are set right after", () => {
    const s = createAttributes({ mtu: 9000, numRxQueues: 4, gsoMaxSize: 196608, group: 3, alias: "x" }, "");
    assert.deepEqual(s, { create: { mtu: 9000, numRxQueues: 4, gsoMaxSize: 196608, group: 3 }, after: { alias: "x" } });
    const side = sideAttrs({ name: "nk0", ...s.create });
    assert.deepEqual(
      side.map((x) => x.type),
      [IFLA.IFNAME, IFLA.MTU, IFLA.NUM_RX_QUEUES, IFLA.GROUP, IFLA.GSO_MAX_SIZE],
      "in the order `ip link add` sends them",
    );
    assert.deepEqual(createAttributes({ peerAlias: "" }, "peer"), { create: {}, after: {} }, "an empty alias is what a new device has");
  });

  it("an update sends the changed settings, and a declared IPv4 limit with its generic one (the kernel lowers it otherwise)", () => {
    const news = { gsoMaxSize: 32768, gsoIpv4MaxSize: 65536, groMaxSize: 65536, peerGroMaxSize: 8000, peerGroIpv4MaxSize: 196608, alias: "a" };
    assert.deepEqual(changedAttributes(news, "", ["gsoMaxSize"]), { gsoMaxSize: 32768, gsoIpv4MaxSize: 65536 });
    assert.deepEqual(changedAttributes(news, "", ["alias", "mtu"]), { alias: "a" });
    assert.deepEqual(changedAttributes(news, "peer", ["peerGroMaxSize", "gsoMaxSize"]), { groMaxSize: 8000, groIpv4MaxSize: 196608 });
    assert.deepEqual(changedAttributes(news, "peer", ["peerGroIpv4MaxSize"]), { groIpv4MaxSize: 196608 });
    assert.deepEqual(changedAttributes({ numRxQueues: 4, mtu: 1400 }, "", ["numRxQueues", "mtu"]), { mtu: 1400 }, "a create-only attribute is never sent to a live device");
  });

  it(`a Linux ${fixture.kernel} dump decodes to the kernel's defaults, and no alias reads as ""`, () => {
    const l = parseLink(decodeMessages(Buffer.from(fixture.cases.getPrimary!.reply, "hex")).find((m) => m.type === 16)!);
    assert.deepEqual(reportedAttributes(l, "peer"), {
      peerMtu: 9000,
      peerMacAddress: "02:00:00:00:aa:01",
      peerNumTxQueues: 1,
      peerNumRxQueues: 1,
      peerTxQueueLen: 1000,
      peerGsoMaxSize: 65536,
      peerGsoMaxSegs: 65535,
      peerGroMaxSize: 65536,
      peerGsoIpv4MaxSize: 65536,
      peerGroIpv4MaxSize: 65536,
      peerAlias: "",
      peerGroup: 0,
      peerRpFilter: 0,
    });
  });

  it("a rename or move addresses the device by ifindex (the kernel renames only then) and names the target netns by fd", () => {
    const req = moveLinkRequest(12, { name: "eth1", netnsFd: 101 });
    const [m] = decodeMessages(req);
    assert.equal(decodeIfInfo(m!.payload).index, 12);
    const a = attrsOf(req);
    assert.deepEqual([readStr(a, IFLA.IFNAME), readU32(a, IFLA.NET_NS_FD)], ["eth1", 101]);
    assert.equal(attrsOf(moveLinkRequest(12, { name: "eth1" })).has(IFLA.NET_NS_FD), false, "a rename alone stays in its netns");
  });
});
