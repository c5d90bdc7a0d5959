import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KERNEL_TABLE_PAGE } from "../../../provider/definition/kernel-table";
import { renderKernelTablePage, renderSchema, repoRoot } from "../../../provider/artefacts";

describe("unit: schema.json", () => {
  it("matches what the definitions generate (run `npm run gen` after changing a definition)", () => {
    assert.equal(readFileSync(join(repoRoot, "schema.json"), "utf8"), renderSchema());
  });

  it(`${KERNEL_TABLE_PAGE}'s kernel table matches docs/kernel-matrix.json and the definitions (run \`npm run gen\`)`, () => {
    assert.equal(readFileSync(join(repoRoot, KERNEL_TABLE_PAGE), "utf8"), renderKernelTablePage());
  });

  it("marks the connection secret and every create-only field replace-on-change", () => {
    type Properties = Record<string, { secret?: boolean; replaceOnChanges?: boolean }>;
    const s = JSON.parse(renderSchema()) as { resources: Record<string, { inputProperties: Properties }>; types: Record<string, { properties: Properties }> };
    const pair = s.resources["netkit:index:NetkitPair"]!.inputProperties;
    assert.equal(pair.connection!.secret, true);
    for (const k of ["mode", "scrub", "peerScrub", "headroom", "tailroom", "numRxQueues", "peerNumRxQueues", "peerLeases"]) assert.equal(pair[k]!.replaceOnChanges, true, k);
    // Renames, moves of the peer and live link settings change the device in place.
    for (const k of [
      "name",
      "peerName",
      "peerNetns",
      "policy",
      "peerPolicy",
      "mtu",
      "peerMtu",
      "up",
      "peerUp",
      "macAddress",
      "gsoMaxSize",
      "peerGroIpv4MaxSize",
      "alias",
      "peerGroup",
    ])
      assert.equal(pair[k]!.replaceOnChanges, undefined, k);
    const single = s.resources["netkit:index:NetkitSingle"]!.inputProperties;
    for (const k of ["name", "netns", "gsoMaxSize", "alias", "group"]) assert.equal(single[k]!.replaceOnChanges, undefined, k);
    assert.equal(s.types["netkit:index:Connection"]!.properties.privateKey!.secret, true);
    // A lease cannot be changed or released on its own: every RxqBinding input replaces.
    const binding = s.resources["netkit:index:RxqBinding"]!.inputProperties;
    for (const k of ["deviceName", "netns", "nic", "nicQueue", "deviceIfindex"]) assert.equal(binding[k]!.replaceOnChanges, true, k);
    assert.equal(binding.connection!.secret, true);
  });
});

describe("unit: field metadata", () => {
  it("fields sharing a type keep their own metadata", async () => {
    const { metaOf } = await import("../../../provider/definition/field");
    const { netkitPairDefinition } = await import("../../../provider/resources/netkit-pair/definition");
    const shape = netkitPairDefinition.inputs.shape;
    assert.match(metaOf(shape.name).description, /primary/);
    assert.match(metaOf(shape.peerName).description, /peer/);
  });
});
