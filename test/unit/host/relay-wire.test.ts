// The relay's wire (provider/host/relay.ts ↔ relay.py): an op goes to relay.py as the object
// the provider built, bytes in base64, and its name picks the function of relay.py's OPS that
// runs it. relay.py runs here on this machine's python3, one-shot, with ops that need no
// privilege; what the ops do to a kernel is the kernel tier's.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeResult, RELAY_OP_NAMES, relayArgv, toWire, type RelayOp, type RelayResult, type WireResult } from "../../../provider/host/relay";
import { getLinkRequest } from "../../../provider/netlink/link";
import { repoRoot } from "../../../harness/pulumi";

/** The keys of relay.py's OPS table, in its order. */
function relayOps(): string[] {
  const src = readFileSync(join(repoRoot, "provider", "host", "relay.py"), "utf8");
  const table = /^OPS = \{\n([\s\S]*?)^\}/m.exec(src);
  assert.ok(table, "relay.py has an OPS table");
  return [...table[1]!.matchAll(/^\s+"([A-Za-z]+)": op_\w+,$/gm)].map((m) => m[1]!);
}

/** One one-shot relay run of `ops` (stop-on-error off), decoded. */
function runRelay(ops: unknown[]): RelayResult[] {
  const stdin = JSON.stringify({ deadline_ms: 10_000, lock: false, batches: [{ id: "unit", stop_on_error: false, ops }] });
  const r = spawnSync(relayArgv()[0]!, relayArgv().slice(1), { input: stdin, encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 0, `relay.py exited ${r.status}: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { batches: Array<{ results: WireResult[] }> };
  return out.batches[0]!.results.map(decodeResult);
}

describe("unit: the relay's wire", function () {
  it("relay.py's OPS has a function for every op the provider names, and for no other", function () {
    assert.deepEqual([...relayOps()].sort(), [...RELAY_OP_NAMES].sort());
  });

  it("an op goes on the wire as built: its name and fields as they are, bytes in base64, unset fields left out", function () {
    const message = getLinkRequest("lo");
    const op: RelayOp = { op: "netlink", message, netns: undefined, proto: 0, expect: { index: 1, attrs: [[[3], Buffer.from("lo\0")]] } };
    const wire = toWire({ id: "b", ops: [op, { op: "bpffs", action: "mkdir", path: "/sys/fs/bpf/pulumi-netkit" }] });
    assert.deepEqual(wire, {
      id: "b",
      stop_on_error: true,
      ops: [
        { op: "netlink", message: message.toString("base64"), proto: 0, expect: { index: 1, attrs: [[[3], Buffer.from("lo\0").toString("base64")]] } },
        { op: "bpffs", action: "mkdir", path: "/sys/fs/bpf/pulumi-netkit" },
      ],
    });
  });

  it("relay.py runs each op by its name, and an op it does not know fails alone, naming it", function () {
    const ops: RelayOp[] = [
      { op: "read", path: "/proc/sys/kernel/osrelease" },
      { op: "listdir", path: "/proc/self/ns" },
      { op: "netlink", message: getLinkRequest("lo"), expect: { index: 1 } },
      { op: "netlinkEachNetns", message: getLinkRequest("lo"), dir: "/nonexistent-netns-dir" },
      { op: "bpffs", action: "mkdir", path: "/tmp/not-bpffs" },
    ];
    const [read, listdir, netlink, each, bpffs, unknown] = runRelay([...toWire({ id: "x", ops }).ops, { op: "sendmail" }]);
    assert.ok(read?.kind === "data" && /^\d+\.\d+/.test(read.data.toString()), JSON.stringify(read));
    assert.ok(listdir?.kind === "names" && listdir.names.includes("net"), JSON.stringify(listdir));
    assert.ok(netlink?.kind === "netlink" && netlink.status.errno === 0 && netlink.mismatch === undefined, JSON.stringify(netlink));
    assert.deepEqual(each, { kind: "each", entries: [] }, "a missing netns directory has no netns");
    assert.ok(bpffs?.kind === "oserror" && /outside the provider's bpffs directory/.test(bpffs.message), JSON.stringify(bpffs));
    assert.deepEqual(unknown, { kind: "exception", message: "ValueError: unknown op 'sendmail'" });
  });
});
