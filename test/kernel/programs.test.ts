// NetkitPair's BPF programs against a real netkit kernel in the test-host VM: attach through
// pinned bpf links, a swap on the live device (same ifindex, same link), drift read back
// (a link detached by hand, a program attached by another tool), the order of several
// programs, and nothing left in bpffs after delete. The verdicts are checked with a ping.
import assert from "node:assert/strict";
import { netkitPairProvider as provider } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { hostFor } from "../../provider/resources/hosts";
import { readHooks, linkDir, linkPin } from "../../provider/host/programs";
import { BPF_NETKIT_PRIMARY } from "../../provider/bpf/syscall";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, linkNames } from "../support/netkit";
import { attachByHand, bpffsEntries, detachLink, loadProgram, NETKIT_DROP, NETKIT_PASS, pings } from "../support/bpf";
import type { TestHost } from "../../testhost";

type Outs = Record<string, unknown> & { ifindex: number; programIds: number[]; otherProgramIds: number[]; programs?: Array<{ pin: string }> };

describe("kernel: BPF programs on a NetkitPair", function () {
  let host: TestHost;
  const ns = "nkt-bpf";
  const DROP = "/sys/fs/bpf/nkt-drop";
  const PASS = "/sys/fs/bpf/nkt-pass";
  const PASS2 = "/sys/fs/bpf/nkt-pass2";
  const OTHER = "/sys/fs/bpf/nkt-other";
  let base: Record<string, unknown>;
  let outs: Outs;
  const id = () => `${host.host}:${host.port}/nkb0`;

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
    await loadProgram(host, DROP, NETKIT_DROP, "nkt_drop");
    await loadProgram(host, PASS, NETKIT_PASS, "nkt_pass");
    await loadProgram(host, PASS2, NETKIT_PASS, "nkt_pass2");
    await loadProgram(host, OTHER, NETKIT_PASS, "nkt_other");
    base = { connection: connectionTo(host), name: "nkb0", peerName: "nkb0p", peerNetns: ns };
  });
  after(async function () {
    await onHost(host, ["ip", "link", "del", "nkb0"]);
    await onHost(host, ["ip", "netns", "del", ns]);
    await onHost(host, ["rm", "-f", DROP, PASS, PASS2, OTHER, "/sys/fs/bpf/nkt-by-hand"]);
  });

  const inputs = (extra: Record<string, unknown>) => checked(netkitPairDefinition, { ...base, ...extra }) as never;
  async function address(): Promise<void> {
    for (const argv of [
      ["ip", "addr", "add", "10.77.0.1/30", "dev", "nkb0"],
      ["ip", "-n", ns, "addr", "add", "10.77.0.2/30", "dev", "nkb0p"],
    ]) {
      const r = await onHost(host, argv);
      assert.equal(r.exitCode, 0, `${argv.join(" ")}: ${r.stderr.toString()}`);
    }
  }

  it("create attaches a dropping program to the primary: a ping from the pod goes unanswered; the link is pinned where the provider owns it", async function () {
    const r = await provider.create(inputs({ programs: [{ pin: DROP }] }));
    outs = r.outs as Outs;
    await address();
    assert.equal(await pings(host, ns, "10.77.0.1"), false, "the drop program lets the ping through");
    assert.equal(outs.programIds.length, 1);
    assert.deepEqual(outs.programs, [{ pin: DROP }]);
    assert.deepEqual(outs.otherProgramIds, []);
    assert.deepEqual(await bpffsEntries(host, linkDir(outs.ifindex)), ["primary-0"]);
  });

  it("an update swaps it for a passing program on the live device: the ping is answered; same ifindex, same link", async function () {
    const h = await hostFor(base.connection as never);
    const before = await readHooks(h, outs.ifindex, {}, { primary: 1 });
    const r = await provider.update!(id(), outs as never, inputs({ programs: [{ pin: PASS }] }));
    const next = r.outs as Outs;
    assert.equal(next.ifindex, outs.ifindex);
    assert.notDeepEqual(next.programIds, outs.programIds);
    assert.equal(await pings(host, ns, "10.77.0.1"), true, "the swapped-in pass program still drops");
    const after = await readHooks(h, outs.ifindex, {}, { primary: 1 });
    assert.equal(after.primary?.ours[0]?.id, before.primary?.ours[0]?.id, "the link was replaced, not updated (BPF_LINK_UPDATE)");
    outs = next;
  });

  it("refresh shows a link detached by hand as a missing program, and another tool's program as such; update restores ours and leaves theirs", async function () {
    await detachLink(host, linkPin(outs.ifindex, "primary", 0));
    await attachByHand(host, OTHER, outs.ifindex, BPF_NETKIT_PRIMARY, "/sys/fs/bpf/nkt-by-hand");
    const read = await provider.read!(id(), outs as never);
    const seen = read.props as Outs;
    assert.deepEqual(seen.programs, [], "the detached program still reads as attached");
    assert.deepEqual(seen.programIds, []);
    assert.equal(seen.otherProgramIds.length, 1, "the program attached by hand is not reported");
    const r = await provider.update!(id(), seen as never, inputs({ programs: [{ pin: PASS }] }));
    outs = r.outs as Outs;
    assert.deepEqual(outs.programs, [{ pin: PASS }]);
    assert.equal(outs.otherProgramIds.length, 1, "the other tool's program was touched");
    assert.deepEqual(await bpffsEntries(host, linkDir(outs.ifindex)), ["primary-0"]);
    await onHost(host, ["rm", "-f", "/sys/fs/bpf/nkt-by-hand"]); // its link ends with its pin
  });

  it("several programs run in the declared order; a reorder and a program re-pinned by its loader are seen and applied", async function () {
    let r = await provider.update!(id(), outs as never, inputs({ programs: [{ pin: PASS }, { pin: PASS2 }, { pin: DROP }] }));
    outs = r.outs as Outs;
    assert.deepEqual(outs.programs, [{ pin: PASS }, { pin: PASS2 }, { pin: DROP }]);
    assert.equal(await pings(host, ns, "10.77.0.1"), true, "PASS first: its verdict decides");
    r = await provider.update!(id(), outs as never, inputs({ programs: [{ pin: DROP }, { pin: PASS }] }));
    outs = r.outs as Outs;
    assert.deepEqual(outs.programs, [{ pin: DROP }, { pin: PASS }]);
    assert.equal(await pings(host, ns, "10.77.0.1"), false, "DROP first: its verdict decides");
    // The loader pins a new version of the first program: refresh names the change.
    await loadProgram(host, DROP, NETKIT_DROP, "nkt_drop_v2");
    const seen = (await provider.read!(id(), outs as never)).props as Outs;
    assert.match(seen.programs![0]!.pin, /^program \d+, not what \/sys\/fs\/bpf\/nkt-drop holds now$/);
    r = await provider.update!(id(), seen as never, inputs({ programs: [{ pin: DROP }, { pin: PASS }] }));
    outs = r.outs as Outs;
    assert.deepEqual(outs.programs, [{ pin: DROP }, { pin: PASS }]);
  });

  it("a missing pin fails naming the field, before anything is detached", async function () {
    const err = await provider.update!(id(), outs as never, inputs({ programs: [{ pin: "/sys/fs/bpf/nkt-missing" }] })).then(
      () => assert.fail("update must fail"),
      (e: unknown) => e as Error,
    );
    assert.match(err.message, /programs\[0\]\.pin: nothing is pinned at \/sys\/fs\/bpf\/nkt-missing/);
    const still = (await provider.read!(id(), outs as never)).props as Outs;
    assert.deepEqual(still.programs, [{ pin: DROP }, { pin: PASS }]);
  });

  it("removing the list detaches the provider's programs; delete leaves no link and no pin", async function () {
    const r = await provider.update!(id(), outs as never, inputs({}));
    outs = r.outs as Outs;
    assert.deepEqual(outs.programIds, []);
    assert.equal(await pings(host, ns, "10.77.0.1"), true);
    await provider.update!(id(), outs as never, inputs({ peerPrograms: [{ pin: DROP }] })).then((x) => (outs = x.outs as Outs));
    assert.equal(await pings(host, ns, "10.77.0.1"), false, "the peer's drop program lets the ping through");
    await provider.delete!(id(), outs as never);
    assert.ok(!(await linkNames(host)).includes("nkb0"));
    assert.deepEqual(await bpffsEntries(host, linkDir(outs.ifindex)), []);
    assert.deepEqual(await bpffsEntries(host, "/sys/fs/bpf/pulumi-netkit"), []);
  });

  it("a create whose program is missing fails naming the field and leaves no device", async function () {
    const err = await provider.create(inputs({ programs: [{ pin: "/sys/fs/bpf/nkt-missing" }] })).then(
      () => assert.fail("create must fail"),
      (e: unknown) => e as Error,
    );
    assert.match(err.message, /programs\[0\]\.pin: nothing is pinned at \/sys\/fs\/bpf\/nkt-missing.*deleted again/);
    assert.ok(!(await linkNames(host)).includes("nkb0"));
  });
});
