// A preview's host questions (provider/host/look-around.ts through HostClient.ask) on an
// in-process stand-in for the relay: each question goes to the host once per run, questions
// asked together share a batch, a missing netns is an answer, and a failed batch is retried.
import assert from "node:assert/strict";
import { HostClient } from "../../../provider/host/client";
import type { HostFacts } from "../../../provider/host/preflight";
import type { RelayResult, RelayTransport } from "../../../provider/host/relay";
import { silentLogger } from "../../../provider/log";

const ENODEV = 19;
const ENOENT = 2;

/** A host with no devices; `/run/netns/gone` does not exist; `fail` makes the next run throw. */
function fakeHost(): { host: HostClient; batches: number[]; fail: { next: boolean } } {
  const batches: number[] = [];
  const fail = { next: false };
  const transport: RelayTransport = async (bs) => {
    if (fail.next) {
      fail.next = false;
      throw new Error("connection lost");
    }
    for (const b of bs) batches.push(b.ops.length);
    return bs.map((b) =>
      (b.ops as Array<{ read?: string; ns?: string | null }>).map((op): RelayResult => {
        if (op.read) return { kind: "data", data: Buffer.from("7.2.13\n") };
        if (op.ns === "/run/netns/gone") return { kind: "oserror", errno: ENOENT, message: "No such file or directory", path: op.ns };
        return { kind: "netlink", messages: [], status: { errno: ENODEV }, raw: Buffer.alloc(0) };
      }),
    );
  };
  const host = new HostClient("root@h:22", transport, silentLogger);
  // The preflight is another module's (preflight.test.ts): here, a kernel without leasing.
  host.facts = async () => ({ host: "root@h:22", kernelRelease: "7.2.13", has: { queueLease: false } }) as unknown as HostFacts;
  return { host, batches, fail };
}

describe("unit: a preview's questions to a host", function () {
  it("asks each question once per run; questions asked together share one batch", async function () {
    const { host, batches } = fakeHost();
    const [a, b] = await host.ask([{ link: "nk0" }, { link: "eth0", netns: "/run/netns/pod1" }]);
    assert.deepEqual([a, b], [{ netns: "ok" }, { netns: "ok" }], "free names");
    await host.ask([{ link: "nk0" }]);
    await host.ask([{ link: "eth0", netns: "/run/netns/pod1" }, { link: "nk1" }]);
    // kernel release + 2 reads, then nothing, then kernel release + the one new read.
    assert.deepEqual(batches, [3, 2]);
  });

  it("a missing netns is an answer; a NIC that does not exist is one too", async function () {
    const { host } = fakeHost();
    const [gone] = await host.ask([{ link: "eth0", netns: "/run/netns/gone" }]);
    assert.deepEqual(gone, { netns: "missing" });
    const [nic] = await host.ask([{ nic: "eth9" }]);
    assert.deepEqual(nic, {});
  });

  it("a batch that failed is forgotten: the next ask goes to the host again", async function () {
    const { host, batches, fail } = fakeHost();
    fail.next = true;
    await assert.rejects(host.ask([{ link: "nk0" }]), /connection lost/);
    assert.deepEqual(await host.ask([{ link: "nk0" }]), [{ netns: "ok" }]);
    assert.deepEqual(batches, [2]);
  });
});
