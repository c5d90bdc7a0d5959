// A stack written by a release that stored the provider as a serialized closure (the text in
// test/fixtures/state/) keeps working with this release: its refresh and destroy run through
// the stored text, its next `up` shows no change and stores the one-line provider module, and
// an update in place still works. The earlier release's program is reproduced by declaring
// the same resource with that stored text, which is all the engine ever saw of it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { NetkitPair, type NetkitPairArgs } from "../../sdk";
import { deleteFirst, dynamicResource, withSecrets } from "../../sdk/resource";
import { inlineStack, repoRoot, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { sysfs } from "../support/netkit";
import type { TestHost } from "../../testhost";

const EARLIER = readFileSync(join(repoRoot, "test", "fixtures", "state", "serialized-shim-netkit-pair.txt"), "utf8");

/** NetkitPair as the earlier release registered it: the same token and props, its stored provider. */
class EarlierNetkitPair extends pulumi.CustomResource {
  constructor(name: string, args: NetkitPairArgs) {
    const r = dynamicResource("NetkitPair", args);
    super(r.type, name, { ...r.props, __provider: EARLIER }, withSecrets(deleteFirst(undefined)));
  }
}

describe("lifecycle: state written by an earlier release (serialized provider closure)", function () {
  let host: TestHost;
  let t: TestStack;
  const ns = "nkc-compat";
  const state = { release: "earlier" as "earlier" | "this", mtu: 1500 };

  /** The stored provider of the pair, in its inputs and its outputs. */
  const stored = async () => {
    const d = (await t.stack.exportStack()).deployment as { resources: Array<{ type: string; inputs: { __provider: string }; outputs: { __provider: string } }> };
    const r = d.resources.find((x) => x.type.endsWith(":NetkitPair"))!;
    return { inputs: r.inputs.__provider, outputs: r.outputs.__provider };
  };

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
    t = await inlineStack("netkit-state-compat", async () => {
      const args: NetkitPairArgs = { connection: connectionTo(host), name: "nkc0", peerName: "eth0", peerNetns: ns, mtu: state.mtu };
      if (state.release === "earlier") new EarlierNetkitPair("pair", args);
      else new NetkitPair("pair", args);
    });
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await onHost(host, ["ip", "netns", "del", ns]);
  });

  it("the earlier release creates the pair and stores its serialized provider", async function () {
    const r = await t.stack.up();
    assert.equal(r.summary.resourceChanges?.create, 2, JSON.stringify(r.summary.resourceChanges));
    assert.deepEqual(await stored(), { inputs: EARLIER, outputs: EARLIER });
  });

  it("this release refreshes it through the stored provider: no drift", async function () {
    state.release = "this";
    const r = await t.stack.refresh();
    assert.deepEqual(r.summary.resourceChanges, { same: 2 });
    assert.equal((await stored()).outputs, EARLIER);
  });

  it("this release's program previews no change, and its up stores the one-line provider module", async function () {
    const p = await t.stack.preview({ expectNoChanges: true });
    assert.equal(p.changeSummary.same, 2, JSON.stringify(p.changeSummary));
    const r = await t.stack.up();
    assert.deepEqual(r.summary.resourceChanges, { same: 2 });
    const s = await stored();
    assert.equal(s.inputs, dynamicResource("NetkitPair", {}).props.__provider);
    // The engine keeps the outputs of an unchanged resource as they were.
    assert.equal(s.outputs, EARLIER);
  });

  it("an update in place works and stores the module in the outputs too", async function () {
    state.mtu = 9000;
    const r = await t.stack.up();
    assert.equal(r.summary.resourceChanges?.update, 1, JSON.stringify(r.summary.resourceChanges));
    assert.equal((await sysfs(host, "nkc0"))?.mtu, "9000");
    assert.equal((await stored()).outputs, dynamicResource("NetkitPair", {}).props.__provider);
  });

  it("a destroy through state the earlier release wrote removes the pair", async function () {
    // Back to a state all of the earlier release's making, then destroyed by this one.
    state.release = "earlier";
    state.mtu = 1500;
    await t.stack.up();
    assert.deepEqual(await stored(), { inputs: EARLIER, outputs: EARLIER });
    state.release = "this";
    const r = await t.stack.destroy();
    assert.equal(r.summary.resourceChanges?.delete, 2, JSON.stringify(r.summary.resourceChanges));
    assert.equal(await sysfs(host, "nkc0"), undefined);
  });
});
