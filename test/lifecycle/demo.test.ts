// `npm run demo` is the first thing a newcomer runs: it must keep working. Runs the demo
// (its own VM, the real engine) and checks that each step showed what it promises.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../../harness/pulumi";

describe("lifecycle: npm run demo", function () {
  it("walks preview → up → update → replace → drift + refresh → destroy, and says so", async function () {
    const { stdout } = await promisify(execFile)(process.execPath, [join(repoRoot, "dist", "scripts", "demo.js")], { cwd: repoRoot, maxBuffer: 16 << 20 });
    const expect: Array<[string, RegExp]> = [
      ["preview plans a create", /\+ 2 to create/],
      ["up creates the pair, peer in the pod netns", /nk-web0@if\d+\s+UP[\s\S]*in demo-pod[\s\S]*eth0@if\d+\s+UP/],
      ["the MTU change previews as an in-place update", /~ mtu\s*: 1500 => 9000[\s\S]*~ 1 to update/],
      ["the mode change previews as a replacement", /~ mode\s*: "l3" => "l2"[\s\S]*\+-1 to replace/],
      ["refresh finds the drift and preview restores it", /~ mtu\s*: 1400 => 9000/],
      ["destroy deletes both", /- 2 deleted/],
    ];
    for (const [what, re] of expect) assert.match(stdout, re, what);
    assert.ok(!/BEGIN OPENSSH PRIVATE KEY/.test(stdout), "the private key is never printed");
    // What the host shows after destroy: both listings of the last step, each found or the test fails.
    const destroyAt = stdout.lastIndexOf("▶ pulumi destroy");
    assert.ok(destroyAt >= 0, `the demo has a destroy step:\n${stdout}`);
    const view = /on the host \(ip -br link\):\n([\s\S]*?)\n {4}in demo-pod \(ip -n demo-pod -br link\):\n([\s\S]*?)\n\n▶/.exec(stdout.slice(destroyAt));
    assert.ok(view, `the demo shows the host's links after destroy:\n${stdout.slice(destroyAt)}`);
    const [, onTheHost, inThePod] = view;
    assert.match(onTheHost!, /^ +lo +UNKNOWN/m, "the host's listing is ip -br link's");
    assert.match(inThePod!, /^ +lo +DOWN/m, "the pod's listing is ip -n demo-pod -br link's");
    assert.doesNotMatch(onTheHost!, /nk-web0/, "nothing left on the host");
    assert.doesNotMatch(inThePod!, /eth0/, "nothing left in the pod's netns");
  });
});
