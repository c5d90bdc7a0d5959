// Which kernel features a resource's inputs need (FieldMeta.needs, ResourceDefinition.needs), decided
// from the host's probed features before anything is created.
import assert from "node:assert/strict";
import { FEATURE_NAMES, type FeatureSet, type KernelFeature } from "../../../provider/features";
import type { HostFacts } from "../../../provider/host/preflight";
import { missingFeatureFor } from "../../../provider/resources/kernel-needs";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import { netkitSingleDefinition } from "../../../provider/resources/netkit-single/definition";
import { rxqBindingDefinition } from "../../../provider/resources/rxq-binding/definition";
import { checkInputs } from "../../../provider/definition/check";
import type { ResourceDefinition } from "../../../provider/definition/resource";

const connection = { host: "h", privateKey: "k" };
function facts(...missing: KernelFeature[]): HostFacts {
  const has = Object.fromEntries(FEATURE_NAMES.map((f) => [f, !missing.includes(f)])) as FeatureSet;
  return { host: "root@h:22", kernelRelease: "6.12.117+deb13-amd64", has };
}
const inputs = (spec: ResourceDefinition, v: object) => {
  const r = checkInputs(spec, { connection, ...v });
  assert.deepEqual(r.failures, []);
  return r.inputs;
};
const pair = (v: object = {}) => inputs(netkitPairDefinition, { name: "nk0", peerName: "nk1", ...v });

describe("unit: kernel features the inputs need", () => {
  it("a pair with no version-specific field needs only netkit", () => {
    assert.equal(missingFeatureFor(netkitPairDefinition, pair(), facts("scrub", "headroom", "tailroom", "single", "queueLease")), undefined);
  });

  it("without netkit, every resource is refused, naming the kernel and CONFIG_NETKIT", () => {
    for (const [spec, v] of [
      [netkitPairDefinition, pair()],
      [netkitSingleDefinition, inputs(netkitSingleDefinition, { name: "s0" })],
    ] as const)
      assert.match(
        missingFeatureFor(spec, v, facts("netkit"))?.message ?? "",
        /^root@h:22: kernel 6\.12\.117\+deb13-amd64 has no netkit driver \(CONFIG_NETKIT, Linux 6\.7 or later\); Netkit(Pair|Single) needs it$/,
      );
  });

  it("unset or at the kernel's own behaviour, scrub, headroom and tailroom need nothing", () => {
    const v = pair({ scrub: "default", peerScrub: "default", headroom: 0, tailroom: 0 });
    assert.equal(missingFeatureFor(netkitPairDefinition, v, facts("scrub", "headroom", "tailroom")), undefined);
  });

  for (const [field, value, feature, probe] of [
    ["headroom", 64, "headroom", "IFLA_NETKIT_HEADROOM, Linux 6.14 or later"],
    ["tailroom", 32, "tailroom", "IFLA_NETKIT_TAILROOM, Linux 6.14 or later"],
    ["scrub", "none", "scrub", "IFLA_NETKIT_SCRUB, Linux 6.13 or later, or 6.12.4 or later in the 6.12 series"],
    ["peerScrub", "none", "scrub", "IFLA_NETKIT_SCRUB, Linux 6.13 or later, or 6.12.4 or later in the 6.12 series"],
  ] as const) {
    it(`${field} ${JSON.stringify(value)} on a kernel without ${feature}: a CapabilityError naming the field, host, kernel and need`, () => {
      const err = missingFeatureFor(netkitPairDefinition, pair({ [field]: value }), facts(feature));
      assert.equal(err?.name, "CapabilityError");
      assert.equal(
        err?.message,
        `root@h:22: kernel 6.12.117+deb13-amd64 has no netkit ${feature} setting (${probe}); ${field} ${JSON.stringify(value)} needs it: ` +
          `leave ${field} unset (or ${JSON.stringify(field.includes("crub") ? "default" : 0)}) on this host`,
      );
      assert.equal(missingFeatureFor(netkitPairDefinition, pair({ [field]: value }), facts()), undefined, "fine where the kernel has it");
    });
  }

  it("NetkitSingle needs single mode and RxqBinding needs queue leasing, whatever their fields", () => {
    assert.match(
      missingFeatureFor(netkitSingleDefinition, inputs(netkitSingleDefinition, { name: "s0" }), facts("single"))?.message ?? "",
      /has no netkit single mode \(IFLA_NETKIT_PAIRING, Linux 7\.1 or later\); NetkitSingle needs it$/,
    );
    assert.match(
      missingFeatureFor(rxqBindingDefinition, {}, facts("queueLease"))?.message ?? "",
      /has no RX queue leasing \(queue-create in the netdev generic netlink family, Linux 7\.1 or later\); RxqBinding needs it$/,
    );
    assert.equal(missingFeatureFor(netkitSingleDefinition, inputs(netkitSingleDefinition, { name: "s0", headroom: 8 }), facts()), undefined);
  });
});
