// A preview's host questions (provider/host/look-around.ts and the check snapshot of
// link-snapshot.ts, through HostClient.ask) on an in-process stand-in for the relay: link
// questions are answered from one snapshot per run, a netns the snapshot cannot read is asked
// directly, a missing netns is an answer, and a failed batch is retried.
import assert from "node:assert/strict";
import { HostClient } from "../../../provider/host/client";
import type { HostFacts } from "../../../provider/host/preflight";
import type { RelayResult, RelayTransport } from "../../../provider/host/relay";
import { silentLogger } from "../../../provider/log";

const ENODEV = 19;
const ENOENT = 2;

/**
 * A host with no devices and the netns /run/netns/pod1 (/run/netns/odd is a file that is no
 * netns: its dump fails); `/run/netns/gone` does not exist; `fail` makes the next run throw.
 * `batches`: the ops of each batch, by kind ("dump", "each", "get", "read").
 */
function fakeHost(): { host: HostClient; batches: string[][]; fail: { next: boolean } } {
  const batches: string[][] = [];
  const fail = { next: false };
  const ok = (): RelayResult => ({ kind: "netlink", messages: [], status: { errno: 0 }, raw: Buffer.alloc(0) });
  const transport: RelayTransport = async (bs) => {
    if (fail.next) {
      fail.next = false;
      throw new Error("connection lost");
    }
    type WireOp = { op: string; netns?: string; dump?: boolean };
    for (const b of bs) batches.push((b.ops as WireOp[]).map((op) => (op.op === "read" ? "read" : op.op === "netlinkEachNetns" ? "each" : op.dump ? "dump" : "get")));
    return bs.map((b) =>
      (b.ops as WireOp[]).map((op): RelayResult => {
        if (op.op === "read") return { kind: "data", data: Buffer.from("7.2.13\n") };
        if (op.op === "netlinkEachNetns")
          return {
            kind: "each",
            entries: [
              { name: "odd", result: { kind: "oserror", errno: 22, message: "Invalid argument", path: "/run/netns/odd" } },
              { name: "pod1", result: ok() },
            ],
          };
        if (op.dump) return ok();
        if (op.netns === "/run/netns/gone") return { kind: "oserror", errno: ENOENT, message: "No such file or directory", path: op.netns };
        if (op.netns === "/run/netns/odd") return { kind: "oserror", errno: 22, message: "Invalid argument", path: op.netns };
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
  it("answers link questions from one snapshot per run, however many checks ask", async function () {
    const { host, batches } = fakeHost();
    const [a, b] = await host.ask([{ link: "nk0" }, { link: "eth0", netns: "/run/netns/pod1" }]);
    assert.deepEqual([a, b], [{ netns: "ok" }, { netns: "ok" }], "free names");
    await host.ask([{ link: "nk0" }]);
    await host.ask([{ link: "eth0", netns: "/run/netns/pod1" }, { link: "nk1" }]);
    const [gone] = await host.ask([{ link: "eth0", netns: "/run/netns/gone" }]);
    assert.deepEqual(gone, { netns: "missing" }, "a netns not in /run/netns is missing, from the snapshot");
    // One batch: the host's links and every named netns's; nothing more for the later questions.
    assert.deepEqual(batches, [["read", "dump", "each"]]);
  });

  it("asks directly what the snapshot cannot answer: a netns outside /run/netns, one whose dump failed, a NIC", async function () {
    const { host, batches } = fakeHost();
    const [proc] = await host.ask([{ link: "eth0", netns: "/proc/42/ns/net" }]);
    assert.deepEqual(proc, { netns: "ok" });
    const [odd] = await host.ask([{ link: "eth0", netns: "/run/netns/odd" }]);
    assert.deepEqual(odd, { netns: "invalid", why: "Invalid argument" });
    const [nic] = await host.ask([{ nic: "eth9" }]);
    assert.deepEqual(nic, {});
    assert.deepEqual(batches, [
      ["read", "get"],
      ["read", "dump", "each"],
      ["read", "get"],
      ["read", "get"],
    ]);
  });

  it("a batch that failed is forgotten: the next ask goes to the host again", async function () {
    const { host, batches, fail } = fakeHost();
    fail.next = true;
    await assert.rejects(host.ask([{ link: "nk0" }]), /connection lost/);
    assert.deepEqual(await host.ask([{ link: "nk0" }]), [{ netns: "ok" }]);
    assert.deepEqual(batches, [["read", "dump", "each"]]);
  });
});
