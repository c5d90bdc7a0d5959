// NetkitPair's BPF programs against a real netkit kernel in the test-host VM: attach through
// pinned bpf links, a swap on the live device (same ifindex, same link), drift read back
// (a link detached by hand, a program attached by another tool), the order of several
// programs, and nothing left in bpffs after delete. The verdicts are checked with a ping.
import assert from "node:assert/strict";
import { netkitPairProvider as provider } from "../../provider/resources/netkit-pair/controller";
import { netkitPairDefinition } from "../../provider/resources/netkit-pair/definition";
import { hostFor } from "../../provider/resources/hosts";
import { applyPrograms, readHooks, linkDir, linkPin } from "../../provider/host/programs";
import { HostClient } from "../../provider/host/client";
import { decoding, oneShotWireTransport, type WireBatch, type WireRun } from "../../provider/host/relay";
import { SshSession } from "../../provider/ssh/session";
import { connectionSchema } from "../../provider/connection";
import { silentLogger } from "../../provider/log";
import { BPF_NETKIT_PRIMARY } from "../../provider/bpf/syscall";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked, linkNames } from "../support/netkit";
import { attachByHand, attachByHandArgv, bpffsEntries, detachLink, FIRST, hookRuns, loadProgram, NETKIT_DROP, NETKIT_PASS, pinnedId, pings } from "../support/bpf";
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
    // The kernel's fact behind hookUnchanged: a hook that runs nothing reports revision 1,
    // though it changed many times (the next attach expects the true count: attaches to an
    // emptied hook carry no expected revision).
    const emptied = await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY);
    assert.deepEqual([emptied.progs, emptied.revision], [[], 1]);
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

// Where programs go among another tool's (a "foreign" loader's links, attached by hand as
// Cilium or bpftool would), and that a change racing another loader fails cleanly. The hook's
// list is read with the guest's own BPF_PROG_QUERY (test/support/bpf.ts), not our codec.
describe("kernel: BPF program positions among another tool's programs, and revision races", function () {
  let host: TestHost;
  const ns = "nkt-pos";
  const [A, B, C, D, F, G] = ["/sys/fs/bpf/nkt-pa", "/sys/fs/bpf/nkt-pb", "/sys/fs/bpf/nkt-pc", "/sys/fs/bpf/nkt-pd", "/sys/fs/bpf/nkt-pf", "/sys/fs/bpf/nkt-pg"];
  const FLINK = "/sys/fs/bpf/nkt-flink";
  const GLINK = "/sys/fs/bpf/nkt-glink";
  const ids: Record<string, number> = {};
  let base: Record<string, unknown>;
  let outs: Outs;
  const id = () => `${host.host}:${host.port}/nkb1`;
  const inputs = (extra: Record<string, unknown>) => checked(netkitPairDefinition, { ...base, ...extra }) as never;
  const runs = async () => (await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY)).progs;

  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
    for (const [pin, verdict, name] of [
      [A, NETKIT_PASS, "nkt_pa"],
      [B, NETKIT_PASS, "nkt_pb"],
      [C, NETKIT_DROP, "nkt_pc"],
      [D, NETKIT_PASS, "nkt_pd"],
      [F, NETKIT_PASS, "nkt_pf"],
      [G, NETKIT_PASS, "nkt_pg"],
    ] as const) {
      await loadProgram(host, pin, verdict, name);
      ids[pin] = await pinnedId(host, pin);
    }
    base = { connection: connectionTo(host), name: "nkb1", peerName: "nkb1p", peerNetns: ns };
    outs = (await provider.create(inputs({}))).outs as Outs;
    // Another tool's link, as Cilium attaches one: at the end of the hook.
    await attachByHand(host, F, outs.ifindex, BPF_NETKIT_PRIMARY, FLINK);
  });
  after(async function () {
    await onHost(host, ["ip", "link", "del", "nkb1"]);
    await onHost(host, ["ip", "netns", "del", ns]);
    await onHost(host, ["rm", "-f", A, B, C, D, F, G, FLINK, GLINK]);
  });

  it("first, and after another tool's link: each where declared, the other tool's link untouched; refresh reads them as declared", async function () {
    const declared = [
      { pin: A, position: "first" },
      { pin: C, after: { link: FLINK } },
    ];
    outs = (await provider.update!(id(), outs as never, inputs({ programs: declared }))).outs as Outs;
    assert.deepEqual(await runs(), [ids[A], ids[F], ids[C]]);
    assert.deepEqual([outs.programs, outs.otherProgramIds], [declared, [ids[F]]]);
    assert.deepEqual(((await provider.read!(id(), outs as never)).props as Outs).programs, declared);
  });

  it("another loader attaching first since: refresh shows the entry out of place, update moves it back and leaves that loader's program", async function () {
    await attachByHand(host, G, outs.ifindex, BPF_NETKIT_PRIMARY, GLINK, FIRST);
    assert.deepEqual(await runs(), [ids[G], ids[A], ids[F], ids[C]]);
    const seen = (await provider.read!(id(), outs as never)).props as Outs;
    assert.deepEqual(seen.programs, [{ pin: A }, { pin: C, after: { link: FLINK } }], "position first no longer holds");
    const linkOfC = (await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY)).links[3];
    outs = (
      await provider.update!(
        id(),
        seen as never,
        inputs({
          programs: [
            { pin: A, position: "first" },
            { pin: C, after: { link: FLINK } },
          ],
        }),
      )
    ).outs as Outs;
    const now = await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY);
    assert.deepEqual(now.progs, [ids[A], ids[G], ids[F], ids[C]]);
    assert.equal(now.links[3], linkOfC, "C stayed where it was, on its link");
  });

  it("a reorder moves one program and keeps the others on their links", async function () {
    outs = (await provider.update!(id(), outs as never, inputs({ programs: [{ pin: A }, { pin: B }, { pin: C }] }))).outs as Outs;
    const before = await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY);
    const linkOf = (pin: string, h: { progs: number[]; links: number[] }) => h.links[h.progs.indexOf(ids[pin]!)];
    outs = (await provider.update!(id(), outs as never, inputs({ programs: [{ pin: C }, { pin: A }, { pin: B }] }))).outs as Outs;
    const after = await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY);
    const ours = after.progs.filter((p) => [ids[A], ids[B], ids[C]].includes(p));
    assert.deepEqual(ours, [ids[C], ids[A], ids[B]]);
    assert.deepEqual([linkOf(A, after), linkOf(B, after)], [linkOf(A, before), linkOf(B, before)], "A and B ran throughout, on the same links");
    assert.notEqual(linkOf(C, after), linkOf(C, before), "C moved: a new link");
    const seen = (await provider.read!(id(), outs as never)).props as Outs;
    assert.deepEqual(seen.programs, [{ pin: C }, { pin: A }, { pin: B }]);
  });

  it("another loader changing the hook between the provider's read and its change: the change fails with ESTALE and nothing of ours moved", async function () {
    const conn = connectionSchema.parse(base.connection);
    const session = await SshSession.open(conn, silentLogger);
    try {
      const wire = oneShotWireTransport(session);
      let raced = false;
      // The other loader attaches just before the provider's writing run reaches the host.
      const racing = async (batches: WireBatch[], run: WireRun) => {
        if (run.lock && !raced && batches.some((b) => b.ops.some((op) => (op as { op?: string; cmd?: number }).op === "bpf" && (op as { cmd?: number }).cmd === 28))) {
          raced = true;
          const r = await onHost(host, attachByHandArgv(G, outs.ifindex, BPF_NETKIT_PRIMARY, `${GLINK}2`));
          assert.equal(r.exitCode, 0, r.stderr.toString());
        }
        return wire(batches, run);
      };
      const client = new HostClient("race", decoding(racing), silentLogger);
      await onHost(host, ["rm", "-f", GLINK]); // G off the hook: its link ends with its pin
      const before = await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY);
      const err = await applyPrograms(client, "nkb1", outs.ifindex, { primary: [{ pin: C }, { pin: A }, { pin: B }, { pin: D }] }, { primary: 3 }).then(
        () => assert.fail("the change must fail"),
        (e: unknown) => e as Error,
      );
      assert.ok(raced, "the race was provoked");
      assert.match(err.message, /ESTALE — another loader changed this hook since the provider read it/);
      const after = await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY);
      assert.deepEqual(after.progs, [...before.progs, ids[G]], "the other loader's program, and nothing of ours, changed");
      assert.deepEqual(after.links.slice(0, before.links.length), before.links);
      assert.deepEqual(await bpffsEntries(host, linkDir(outs.ifindex)), ["primary-0", "primary-1", "primary-2"], "no pin moved");
    } finally {
      session.close();
      await onHost(host, ["rm", "-f", `${GLINK}2`]);
    }
    // The next run converges.
    outs = (await provider.update!(id(), outs as never, inputs({ programs: [{ pin: C }, { pin: A }, { pin: B }, { pin: D }] }))).outs as Outs;
    assert.deepEqual(
      (await runs()).filter((p) => p !== ids[F]),
      [ids[C], ids[A], ids[B], ids[D]],
    );
  });

  it("refusals before anything changes: an anchor that is not on this hook, and one not pinned", async function () {
    const before = await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY);
    await loadProgram(host, G, NETKIT_PASS, "nkt_pg"); // pinned, attached nowhere
    await assert.rejects(
      provider.update!(id(), outs as never, inputs({ programs: [{ pin: A, before: { program: G } }] })),
      /programs\[0\]\.before\.program: the program at \/sys\/fs\/bpf\/nkt-pg is not attached to this hook/,
    );
    await assert.rejects(
      provider.update!(id(), outs as never, inputs({ programs: [{ pin: A, after: { link: "/sys/fs/bpf/nkt-nolink" } }] })),
      /programs\[0\]\.after\.link: nothing is pinned at \/sys\/fs\/bpf\/nkt-nolink/,
    );
    assert.deepEqual(await hookRuns(host, outs.ifindex, BPF_NETKIT_PRIMARY), before);
  });
});
