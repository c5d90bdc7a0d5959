// Smoke proof of the whole chain: the real Pulumi CLI runs an inline program whose dynamic
// resource (loaded through the provider shim and our plugin launcher) writes a file on a
// test-host VM over SSH with a pinned host key. Each step asserts the host-side effect.
import assert from "node:assert/strict";
import { Marker } from "../support/marker";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import type { TestHost } from "../../testhost";

describe("lifecycle: smoke (real pulumi CLI → dynamic provider → SSH → test host)", function () {
  let host: TestHost;
  let t: TestStack;
  const path = `/tmp/netkit-smoke-${process.pid}`;
  let content = "hello from pulumi\n";

  const fileOnHost = async () => {
    const r = await onHost(host, ["cat", path]);
    return r.exitCode === 0 ? r.stdout.toString() : undefined;
  };

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["rm", "-f", path]);
    t = await inlineStack("netkit-smoke", async () => {
      const m = new Marker("marker", { connection: connectionTo(host), path, content });
      return { content: m.content };
    });
    const v = t.stack.workspace.pulumiVersion;
    console.log(`      [pulumi] CLI ${v}`);
  });

  after(async function () {
    // Never leave state or files behind, even when an assertion failed half-way.
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
  });

  it("preview plans the stack and the marker and does not touch the host", async function () {
    const p = await t.stack.preview({ diff: true });
    assert.equal(p.changeSummary.create, 2, JSON.stringify(p.changeSummary));
    assert.equal(await fileOnHost(), undefined);
  });

  it("up creates the file on the host", async function () {
    const r = await t.stack.up();
    assert.equal(r.summary.result, "succeeded");
    assert.equal(r.summary.resourceChanges?.create, 2); // the stack and the marker
    assert.equal(await fileOnHost(), content);
    assert.equal(r.outputs.content?.value, content);
  });

  it("a second preview expects no changes", async function () {
    const p = await t.stack.preview({ expectNoChanges: true });
    assert.equal(p.changeSummary.same, 2, JSON.stringify(p.changeSummary));
  });

  it("a changed input updates the file in place", async function () {
    content = "updated\n";
    const p = await t.stack.preview({ diff: true });
    assert.equal(p.changeSummary.update, 1, JSON.stringify(p.changeSummary));
    assert.equal(await fileOnHost(), "hello from pulumi\n", "preview must not touch the host");
    const r = await t.stack.up();
    assert.equal(r.summary.resourceChanges?.update, 1);
    assert.equal(await fileOnHost(), content);
  });

  it("refresh drops a file deleted out of band", async function () {
    await onHost(host, ["rm", "-f", path]);
    const r = await t.stack.refresh();
    assert.equal(r.summary.resourceChanges?.delete, 1, JSON.stringify(r.summary.resourceChanges));
    const up = await t.stack.up();
    assert.equal(up.summary.resourceChanges?.create, 1);
    assert.equal(await fileOnHost(), content);
  });

  it("destroy removes the file from the host", async function () {
    const r = await t.stack.destroy();
    assert.equal(r.summary.result, "succeeded");
    assert.equal(await fileOnHost(), undefined);
  });
});
