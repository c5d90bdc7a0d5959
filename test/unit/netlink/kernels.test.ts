// Real replies of every kernel in the matrix (test/fixtures/netlink/kernels/, captured by the
// kernel matrix test): the preflight's classification of each kernel's probe replies is what
// the matrix measured (docs/kernel-matrix.json), and each kernel's dumps of a default pair
// decode to what the provider declares and verifies. Kernels older than any Debian still
// serves are covered by the same dumps with the newer attributes removed: 6.12's without
// SCRUB/PEER_SCRUB is a 6.7–6.9 kernel (e.g. Ubuntu 24.04's 6.8).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ATTRIBUTE_PROBES, classifyLinkReply, classifyNetdevFamily, classifyNic, classifyProbe } from "../../../provider/host/preflight";
import { IFLA_NETKIT, NETDEV_CMD } from "../../../provider/netlink/constants";
import { ETHTOOL_MSG } from "../../../provider/netlink/ethtool";
import { parseOpPolicy } from "../../../provider/netlink/genl";
import { decodeMessages, parseStatus } from "../../../provider/netlink/message";
import { decodeNetkitInfo } from "../../../provider/netlink/netkit";
import { parseNetkitLink, type NetkitLink } from "../../../provider/host/netkit";
import { verifyPair } from "../../../provider/resources/netkit-pair/host";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import { checkInputs } from "../../../provider/definition/check";
import { kernelMatrix, repoRoot } from "../../../provider/artefacts";

type Fixture = { kernel: string; cases: Record<string, { reply: string; errno: number }> };
const dir = join(repoRoot, "test", "fixtures", "netlink", "kernels");
const fixtures = Object.fromEntries(readdirSync(dir).map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(dir, f), "utf8")) as Fixture]));
const messages = (f: Fixture, name: string) => decodeMessages(Buffer.from(f.cases[name]!.reply, "hex"));
const link = (f: Fixture, name: string): NetkitLink => parseNetkitLink(messages(f, name)[0]!);

/** The inputs of the matrix's fixture pair (mode l2, everything else default), as check makes them. */
const declared = () => {
  const r = checkInputs(netkitPairDefinition, { connection: { host: "h" }, name: "nkm3", peerName: "eth3", peerNetns: "ns", mode: "l2" });
  assert.deepEqual(r.failures, []);
  return r.inputs;
};

describe("unit: the matrix kernels' real netlink replies", () => {
  const matrix = kernelMatrix();

  it("there is a fixture for every kernel of the matrix", () => {
    assert.deepEqual(Object.keys(fixtures).sort(), matrix.kernels.map((k) => k.id).sort());
  });

  for (const k of matrix.kernels) {
    describe(`${k.id} (${k.release})`, () => {
      const f = fixtures[k.id]!;

      it("the preflight reads from its probe replies what the matrix measured", () => {
        const status = (name: string) => parseStatus(messages(f, name).at(-1)!);
        const seen = Object.fromEntries(Object.keys(ATTRIBUTE_PROBES).map((a) => [a, classifyProbe(status(`probe-${a}`))]));
        const netkit = Object.values(seen).every((c) => c.netkit);
        const family = f.cases.getFamilyNetdev!.errno === 0 ? messages(f, "getFamilyNetdev")[0] : undefined;
        const lo = f.cases.getLo!.errno === 0 ? messages(f, "getLo")[0] : undefined;
        const ok = (name: string) => (f.cases[name]?.errno === 0 ? messages(f, name) : undefined);
        const dump = (name: string) => (ok(name) ?? []).filter((m) => !parseStatus(m));
        // The NIC side (probeNic): the ethtool family, and RINGS_SET's and napi-set's policies.
        const nic = classifyNic(
          ok("getFamilyEthtool")?.[0],
          family,
          parseOpPolicy(dump("policyRingsSet"), ETHTOOL_MSG.RINGS_SET),
          parseOpPolicy(dump("policyNapiSet"), NETDEV_CMD.NAPI_SET),
        );
        const has = {
          netkit,
          ...Object.fromEntries(Object.entries(seen).map(([a, c]) => [a, netkit && c.known])),
          ipv4BigTcp: netkit && classifyLinkReply(lo).ipv4BigTcp,
          queueLease: classifyNetdevFamily(family).queueLease,
          ...nic.has,
        };
        assert.deepEqual(has, k.probed);
      });

      if (!k.probed.netkit) return;

      it("its dumps of a default l2 pair decode to what was declared, and pass the create's verification", () => {
        const p = link(f, "getPrimary");
        const q = link(f, "getPeer");
        assert.deepEqual([p.kind, p.netkit?.primary, q.netkit?.primary], ["netkit", true, false]);
        assert.deepEqual([p.netkit?.mode, p.netkit?.scrub, p.netkit?.peerScrub, p.netkit?.headroom, p.netkit?.tailroom], ["l2", "default", "default", 0, 0]);
        assert.equal(p.netkit?.pairing, k.probed.single ? "pair" : undefined, "PAIRING is reported exactly where single mode exists");
        assert.equal(p.data?.has(IFLA_NETKIT.HEADROOM), k.probed.headroom, "HEADROOM is reported exactly where the setting exists");
        assert.equal(p.data?.has(IFLA_NETKIT.SCRUB), k.probed.scrub, "SCRUB is reported exactly where the setting exists");
        assert.equal(p.gsoIpv4MaxSize !== undefined, k.probed.ipv4BigTcp, "the IPv4 GSO limit is reported exactly where the probe found it");
        assert.deepEqual([p.gsoMaxSize, p.gsoMaxSegs, p.groMaxSize, p.group, p.alias], [65536, 65535, 65536, 0, undefined], "the kernel's defaults of the live settings");
        assert.equal(verifyPair(declared() as never, p, q, f.kernel), undefined);
      });
    });
  }

  it("a kernel before scrub settings (6.12's dump without SCRUB/PEER_SCRUB): scrubs as default, verifies, and a mismatch is still caught", () => {
    const f = fixtures["trixie-6.12"]!;
    const p = link(f, "getPrimary");
    const q = link(f, "getPeer");
    for (const l of [p, q]) {
      l.data!.delete(IFLA_NETKIT.SCRUB);
      l.data!.delete(IFLA_NETKIT.PEER_SCRUB);
      l.netkit = decodeNetkitInfo(l.data!);
    }
    assert.deepEqual([p.netkit?.scrub, p.netkit?.peerScrub, p.netkit?.headroom, p.netkit?.pairing], ["default", "default", 0, undefined]);
    assert.equal(verifyPair(declared() as never, p, q, "6.8.0-generic"), undefined, "a default pair is what the old kernel made");
    const asked = { ...declared(), scrub: "none" };
    assert.match(verifyPair(asked as never, p, q, "6.8.0-generic") ?? "", /kernel 6\.8\.0-generic created nkm3 with scrub default \(asked none\)/);
  });
});
