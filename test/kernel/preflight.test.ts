import assert from "node:assert/strict";
import { probeHost } from "../../provider/host/preflight";
import { hostFor } from "../../provider/resources/hosts";
import { connectionTo, sharedHost } from "../support/shared-host";
import { linkNames } from "../support/netkit";

describe("kernel: preflight probe", () => {
  it("finds every feature on the 7.2 test host, and creates nothing", async () => {
    const host = await sharedHost();
    const before = await linkNames(host);
    const f = await probeHost(await hostFor(connectionTo(host)));
    assert.equal(f.kernelRelease, host.kernelRelease);
    assert.deepEqual(f.has, { netkit: true, scrub: true, headroom: true, tailroom: true, single: true, queueLease: true, ipv4BigTcp: true });
    assert.deepEqual(await linkNames(host), before, "the probe never creates a device");
  });
});
