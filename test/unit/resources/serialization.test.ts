// The provider object stored in state must capture no live handle, no secret, no code of
// ours: just the module and export names it loads inside the provider process.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "../../../sdk/resource";
import { hostPool } from "../../../provider/runtime";
import { silentLogger } from "../../../provider/log";

describe("unit: serialized provider", () => {
  it("serializes to a small shim that requires the implementation by package name", async () => {
    hostPool(silentLogger); // live state exists in this process; it must not be captured
    const shim = dynamicResource("NetkitPair", {}).provider;
    const s = await pulumi.runtime.serializeFunction(() => shim);
    assert.match(s.text, /pulumi-netkit\/dist\/provider/);
    assert.match(s.text, /netkitPairProvider/);
    assert.doesNotMatch(s.text, /SessionPool|ssh2|privateKey|class /);
    assert.ok(s.text.length < 5000, `shim is ${s.text.length} bytes`);
  });
});
