// The provider stored in state must hold no live handle, no secret, no code of ours: just the
// module and export names it loads inside the provider process. It is loaded here as the
// engine's Node dynamic-provider host loads it (require-from-string, handler()), and so is
// what earlier releases stored (a serialized closure), which stacks still hold.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { dynamicResource } from "../../../sdk/resource";
import { netkitPairProvider, netkitSingleProvider, rxqBindingProvider } from "../../../provider";
import { repoRoot } from "../../../harness/pulumi";
import { fromPulumiTree } from "../../../harness/pulumi-tree";

type Handler = { handler(): pulumi.dynamic.ResourceProvider };
// The module @pulumi/pulumi's dynamic-provider host loads a stored provider with.
const requireFromString = fromPulumiTree<(code: string) => Handler>("require-from-string");

describe("unit: the provider stored in state", () => {
  it("is a one-line module that requires the implementation by package name", () => {
    for (const [name, impl] of [
      ["NetkitPair", netkitPairProvider],
      ["NetkitSingle", netkitSingleProvider],
      ["RxqBinding", rxqBindingProvider],
    ] as const) {
      const text = dynamicResource(name, {}).props.__provider as string;
      assert.match(text, /^exports\.handler = \(\) => require\("pulumi-netkit\/dist\/provider"\)\["\w+"\];\n$/);
      assert.ok(text.length < 120, `${name}: ${text.length} bytes`);
      // Resolved from the working directory, as in the provider process (the program's directory).
      assert.equal(requireFromString(text).handler(), impl, name);
    }
  });

  it("keeps the type token pulumi.dynamic.Resource gave the resources (their URNs)", () => {
    assert.equal(dynamicResource("NetkitPair", {}).type, "pulumi-nodejs:dynamic/netkit:NetkitPair");
    assert.equal(dynamicResource("RxqBinding", {}).type, "pulumi-nodejs:dynamic/netkit:RxqBinding");
  });

  it("what earlier releases stored (a serialized closure) still loads and reaches the same controller", async () => {
    const text = readFileSync(join(repoRoot, "test", "fixtures", "state", "serialized-shim-netkit-pair.txt"), "utf8");
    const old = requireFromString(text).handler();
    for (const m of ["configure", "check", "diff", "create", "read", "update", "delete"] as const) assert.equal(typeof old[m], "function", m);
    // It delegates: the installed controller's diff answers through it.
    const olds = { name: "nk0", peerName: "nk0p", mtu: 1500 };
    const installed = netkitPairProvider as pulumi.dynamic.ResourceProvider;
    const through = await old.diff!("h:22/nk0", olds, { ...olds, mtu: 9000 });
    assert.equal(through.changes, true);
    assert.deepEqual(through, await installed.diff!("h:22/nk0", olds, { ...olds, mtu: 9000 }));
  });
});
