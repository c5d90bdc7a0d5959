// The SSH connection dies while a create is in flight: the provider must not leave a
// device behind or claim success it cannot know; a re-run must converge.
import assert from "node:assert/strict";
import { netkitPairProvider as provider } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, linkNames } from "../support/netkit";
import type { TestHost } from "../../testhost";
import { hostPool } from "../../provider/runtime";
import { connectionOf, hostFor } from "../../provider/resources/context";
import { silentLogger } from "../../provider/log";
import { asError } from "../support/errors";

describe("kernel: connection dropped mid-create", function () {
  let host: TestHost;
  before(async function () {
    host = await sharedHost();
    // The per-host preflight runs its own relay first; settle it so the kill below hits
    // the create itself.
    await (await hostFor(connectionTo(host))).facts();
  });
  after(async function () {
    await onHost(host, ["ip", "link", "del", "nkdrop"]);
  });

  it("fails cleanly (nothing left) or completes; a re-run converges", async function () {
    const inputs = checked(netkitPairDefinition, { connection: connectionTo(host), name: "nkdrop", peerName: "nkdropp" });
    // Drop the provider's one SSH connection while the create's relay runs on the host (its
    // python start alone takes longer than this under emulation).
    const pending = provider.create(inputs as never).then(
      () => "created" as const,
      (e: unknown) => asError(e),
    );
    await new Promise((r) => setTimeout(r, 150));
    (await hostPool(silentLogger).session(connectionOf(connectionTo(host)))).close();
    const outcome = await pending;
    const names = await linkNames(host);
    if (outcome === "created") {
      console.log("      (the create finished before the connection died)");
      assert.ok(names.includes("nkdrop") && names.includes("nkdropp"));
    } else {
      assert.match(outcome.message, /connection dropped while creating netkit pair nkdrop; (the device it had made was deleted again|no device was left behind)/);
      assert.ok(!names.includes("nkdrop") && !names.includes("nkdropp"), `leaked: ${names.join(" ")}`);
      const r = await provider.create(inputs as never); // the re-run, on a fresh connection
      assert.equal((r.outs as { name: string }).name, "nkdrop");
    }
  });
});
