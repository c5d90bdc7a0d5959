// The plugin's two launchers (the package's bin/ script and the one `npm run pack:plugin`
// writes into the archive) start Node with the same flags: a lean process either way.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PLUGIN_NODE_FLAGS } from "../../../scripts/plugin-archive";
import { repoRoot } from "../../../harness/pulumi";

describe("plugin launchers", () => {
  it("bin/pulumi-resource-netkit starts the plugin with the archive launcher's node flags", () => {
    const bin = readFileSync(join(repoRoot, "bin", "pulumi-resource-netkit"), "utf8");
    const exec = bin.split("\n").find((l) => l.startsWith("exec node "));
    assert.equal(exec, `exec node ${PLUGIN_NODE_FLAGS} "$here/dist/provider/plugin/main.js" "$@"`);
    assert.match(PLUGIN_NODE_FLAGS, /--max-semi-space-size=2/);
  });
});
