// A resource never follows a changed host silently, through the real engine with two test
// hosts: a stack whose devices use the configured connection (netkit:host A) refuses preview,
// up, refresh and destroy once the config points at host B, saying how to move, and touches
// neither host; with the config back on A all is as before. A resource with its own
// connection that changes host is replaced (deleted on A, created on B).
import assert from "node:assert/strict";
import { NetkitPair } from "../../sdk";
import { startTestHosts, type TestHost, type TestHostSet } from "../../testhost";
import { asError } from "../support/errors";
import { linkNames } from "../support/netkit";
import { configureProvider } from "../support/plugin";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { connectionTo, sharedHost } from "../support/shared-host";

describe("lifecycle: a changed host is never a silent re-target", function () {
  let a: TestHost;
  let b: TestHost;
  let second: TestHostSet;
  let t: TestStack | undefined;

  before(async function () {
    [a, second] = await Promise.all([sharedHost(), startTestHosts(1, { name: "hostb" })]);
    b = second.hosts[0]!;
  });
  after(async function () {
    if (t) {
      await configureProvider(t.stack, a);
      await t.stack.destroy().catch(() => undefined);
      t.cleanup();
    }
    await second?.stop();
  });

  it("config netkit:host A → B: preview, up, refresh and destroy refuse, naming both endpoints; neither host changes", async function () {
    t = await inlineStack("host-identity", async () => {
      new NetkitPair("pod", { name: "nkh0", peerName: "nkh0p" });
    });
    await configureProvider(t.stack, a);
    await t.stack.up();
    assert.ok((await linkNames(a)).includes("nkh0"));
    const before = [await linkNames(a), await linkNames(b)];

    await configureProvider(t.stack, b);
    const moved = new RegExp(
      `NetkitPair 127\\.0\\.0\\.1:${a.port}/nkh0 lives on 127\\.0\\.0\\.1:${a.port}, but the configured connection \\(netkit:host, netkit:port\\) now points at 127\\.0\\.0\\.1:${b.port}; a resource never follows a changed host silently`,
    );
    for (const [op, run] of [
      ["preview", () => t!.stack.preview()],
      ["up", () => t!.stack.up()],
      ["refresh", () => t!.stack.refresh()],
      ["destroy", () => t!.stack.destroy()],
    ] as const) {
      const err = await (run as () => Promise<unknown>)().then(
        () => assert.fail(`${op} must refuse`),
        (e: unknown) => asError(e),
      );
      assert.match(err.message, moved, op);
    }
    assert.deepEqual([await linkNames(a), await linkNames(b)], before, "neither host changed");

    // Back on A: the refused up recorded B as the provider's configuration (the engine updates a
    // provider before its resources), which refresh and destroy use; an up records A again.
    await configureProvider(t.stack, a);
    await t.stack.preview({ expectNoChanges: true });
    const up = await t.stack.up();
    assert.deepEqual(Object.keys(up.summary.resourceChanges ?? {}), ["same"], JSON.stringify(up.summary.resourceChanges));
    await t.stack.destroy();
    assert.ok(!(await linkNames(a)).includes("nkh0"));
    t.cleanup();
    t = undefined;
  });

  it("a resource's own connection that moves to another host replaces it: deleted on A, created on B", async function () {
    const target = { host: a };
    t = await inlineStack("host-identity-own", async () => {
      new NetkitPair("pod", { connection: connectionTo(target.host), name: "nkh1", peerName: "nkh1p" });
    });
    await t.stack.up();
    target.host = b;
    const p = await t.stack.preview({ diff: true });
    assert.equal(p.changeSummary.replace, 1, JSON.stringify(p.changeSummary));
    await t.stack.up();
    assert.ok(!(await linkNames(a)).includes("nkh1") && (await linkNames(b)).includes("nkh1"));
    await t.stack.destroy();
    assert.ok(!(await linkNames(b)).includes("nkh1"));
    t.cleanup();
    t = undefined;
  });
});
