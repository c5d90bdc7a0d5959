// Refresh reads from one snapshot of the host's links (provider/host/link-snapshot.ts),
// against the real kernel: the same answers as reading each device directly, one relay run
// for many reads, and never an answer that a change made since could have made stale.
import assert from "node:assert/strict";
import { netkitPairProvider as pairs } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { netkitSingleProvider as singles } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import type { DeviceRef } from "../../provider/host/netkit";
import { SNAPSHOT_MAX_AGE_MS } from "../../provider/host/link-snapshot";
import type { HostClient } from "../../provider/host/client";
import { readNetkit } from "../../provider/host/netkit-ops";
import { hostFor } from "../../provider/resources/hosts";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked } from "../support/netkit";
import type { TestHost } from "../../testhost";
import { asError } from "../support/errors";

describe("kernel: refresh reads from one link snapshot per host", function () {
  let host: TestHost;
  let client: HostClient;
  /** Relay runs (round trips) of the provider's client for this host so far. */
  const runs = () => client.runCount;
  const nsA = "nkr-a";
  const nsB = "nkr-b";
  const stale = "nkr-stale";
  const conn = () => connectionTo(host);

  const pairInputs = () => checked(netkitPairDefinition, { connection: conn(), name: "nkr1", peerName: "nkr1p" });

  /** A change through the provider (nkr1's MTU to 1500): it ends the current snapshot. */
  const write = () => pairs.update!("", { ...pairInputs(), mtu: 1499 } as never, { ...pairInputs(), mtu: 1500 } as never);

  before(async function () {
    host = await sharedHost();
    for (const ns of [nsA, nsB]) await onHost(host, ["ip", "netns", "add", ns]);
    await pairs.create(
      checked(netkitPairDefinition, { connection: conn(), name: "nkr0", peerName: "nkr0p", peerNetns: nsA, mode: "l2", mtu: 9000, peerUp: false, headroom: 64 }) as never,
    );
    await pairs.create(pairInputs() as never);
    await singles.create(checked(netkitSingleDefinition, { connection: conn(), name: "nkr2", netns: nsB, mtu: 4000 }) as never);
    client = await hostFor(conn());
  });
  after(async function () {
    for (const d of ["nkr0", "nkr1"]) await onHost(host, ["ip", "link", "del", d]);
    for (const ns of [nsA, nsB]) await onHost(host, ["ip", "netns", "del", ns]);
    await onHost(host, ["rm", "-f", `/run/netns/${stale}`]);
  });

  const refs: Array<[string, DeviceRef, DeviceRef?]> = [
    ["a pair, peer in a named netns", { name: "nkr0" }, { name: "nkr0p", netns: `/run/netns/${nsA}` }],
    ["a pair, peer in the host's netns", { name: "nkr1" }, { name: "nkr1p" }],
    ["a single device in a named netns", { name: "nkr2", netns: `/run/netns/${nsB}` }],
    ["a device that does not exist", { name: "nkr-none" }],
    ["a peer whose netns does not exist", { name: "nkr0" }, { name: "nkr0p", netns: "/run/netns/nkr-none" }],
    ["a peer in the wrong netns", { name: "nkr0" }, { name: "nkr0p", netns: `/run/netns/${nsB}` }],
  ];

  it("answers every read exactly as a direct read of the device does", async function () {
    await write();
    for (const [what, primary, peer] of refs) {
      assert.deepEqual(await client.readNetkitForRefresh(primary, peer), await readNetkit(client, primary, peer), what);
    }
    const r = await client.readNetkitForRefresh({ name: "nkr0" }, { name: "nkr0p", netns: `/run/netns/${nsA}` });
    assert.deepEqual([r.primary?.mtu, r.primary?.netkit?.headroom, r.peer?.up, r.peer?.netkit?.primary], [9000, 64, false, false]);
  });

  it("many reads at once cost one relay run; later reads none until a change", async function () {
    await write();
    const before = runs();
    const all = await Promise.all(Array.from({ length: 4 }, () => refs.map(([, p, q]) => client.readNetkitForRefresh(p, q))).flat());
    assert.equal(all.length, 4 * refs.length);
    assert.equal(runs() - before, 1, "one snapshot for every read");
    await client.readNetkitForRefresh({ name: "nkr1" }, { name: "nkr1p" });
    assert.equal(runs() - before, 1, "a later read is answered from the same snapshot");
  });

  it("a change through the provider ends the snapshot: the next read sees it", async function () {
    await client.readNetkitForRefresh({ name: "nkr1" });
    await pairs.update!("", pairInputs() as never, { ...pairInputs(), mtu: 2000 } as never);
    assert.equal((await client.readNetkitForRefresh({ name: "nkr1" })).primary?.mtu, 2000);
  });

  it(`a change out of band shows once the snapshot is ${SNAPSHOT_MAX_AGE_MS / 1000} s old`, async function () {
    await write();
    const mtu = async () => (await client.readNetkitForRefresh({ name: "nkr1" })).primary?.mtu;
    assert.equal(await mtu(), 1500);
    await onHost(host, ["ip", "link", "set", "nkr1", "mtu", "1600"]);
    await new Promise((r) => setTimeout(r, SNAPSHOT_MAX_AGE_MS + 200));
    assert.equal(await mtu(), 1600);
  });

  it("a netns outside /run/netns, or one whose file is no netns, is read directly (and fails as directly)", async function () {
    await onHost(host, ["touch", `/run/netns/${stale}`]);
    await write();
    const before = runs();
    // The snapshot still answers for the good netns …
    assert.ok((await client.readNetkitForRefresh({ name: "nkr2", netns: `/run/netns/${nsB}` })).primary);
    assert.equal(runs() - before, 1);
    // … a device in the broken one gets the direct read's error …
    const direct = await readNetkit(client, { name: "x", netns: `/run/netns/${stale}` }).then(
      () => "no error",
      (e: unknown) => asError(e).message,
    );
    const viaSnapshot = await client.readNetkitForRefresh({ name: "x", netns: `/run/netns/${stale}` }).then(
      () => "no error",
      (e: unknown) => asError(e).message,
    );
    assert.match(direct, /EINVAL/);
    assert.equal(viaSnapshot, direct);
    // … and a netns given by another path (here the host's own, through /proc) is read directly.
    const n = runs();
    assert.equal((await client.readNetkitForRefresh({ name: "nkr0p", netns: "/proc/1/ns/net" })).primary, undefined);
    assert.equal(runs() - n, 1);
  });
});
