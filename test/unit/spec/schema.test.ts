import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderSchema } from "../../../provider/spec/render";

describe("unit: schema.json", () => {
  it("matches what the specs generate (run `npm run gen` after changing a spec)", () => {
    const committed = readFileSync(join(__dirname, "..", "..", "..", "..", "schema.json"), "utf8");
    assert.equal(committed, renderSchema());
  });

  it("marks the connection secret and every create-only field replace-on-change", () => {
    const s = JSON.parse(renderSchema());
    const pair = s.resources["netkit:index:NetkitPair"].inputProperties;
    assert.equal(pair.connection.secret, true);
    for (const k of ["name", "peerName", "peerNetns", "mode", "scrub", "peerScrub", "headroom", "tailroom", "numRxQueues", "peerNumRxQueues"])
      assert.equal(pair[k].replaceOnChange, true, k);
    for (const k of ["policy", "peerPolicy", "mtu", "peerMtu", "up", "peerUp", "macAddress"]) assert.equal(pair[k].replaceOnChange, undefined, k);
    assert.equal(s.types["netkit:index:Connection"].properties.privateKey.secret, true);
  });
});
