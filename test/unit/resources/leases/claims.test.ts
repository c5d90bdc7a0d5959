// One lease has one owner, without a host: the checks of one run claim NIC queues by the
// resource's URN (a binding's nicQueue, a device's leases), a second claimant fails check
// naming the first, a resource checked twice keeps its own claim, and a binding adopts a lease
// only when no other resource of the run claims it and no other stack's resource holds it by
// the host's record.
import assert from "node:assert/strict";
import { adoptionRefused, claimQueues, describeClaimant, forgetClaims, isOwnLease, otherClaimant, sameStack, urnParts } from "../../../../provider/resources/leases/claims";
import { netkitSingleProvider } from "../../../../provider/resources/netkit-single/controller";
import { netkitPairProvider } from "../../../../provider/resources/netkit-pair/controller";
import { rxqBindingProvider } from "../../../../provider/resources/rxq-binding/controller";
import { setProviderSettings } from "../../../../provider/runtime";
import { DEFAULT_SETTINGS } from "../../../../provider/config";

type Checked = { failures?: Array<{ property: string; reason: string }> };
/** A controller's check as the engine calls it: any property bag. */
const check = (c: { check?: unknown }, olds: object, news: object) => (c.check as (o: object, n: object) => Promise<Checked>)(olds, news);
const connection = { host: "10.0.0.9", privateKey: "k", hostKey: "SHA256:" + "a".repeat(43) };
const urn = (type: string, name: string, stack = "dev") => `urn:pulumi:${stack}::pods::pulumi-nodejs:dynamic/netkit:${type}::${name}`;
const binding = (name: string, nicQueue: number, extra: Record<string, unknown> = {}) => ({
  connection,
  deviceName: "nk-xsk",
  netns: "pod1",
  nic: "eth1",
  nicQueue,
  __urn: urn("RxqBinding", name),
  ...extra,
});

describe("unit: one lease has one owner (lease claims)", () => {
  before(() => setProviderSettings({ ...DEFAULT_SETTINGS, previewChecks: false }));
  after(() => setProviderSettings(DEFAULT_SETTINGS));
  beforeEach(() => forgetClaims());

  it("URNs of the SDK and of the plugin name the resource and its stack", () => {
    assert.deepEqual(urnParts(urn("RxqBinding", "rxq3")), { stack: "dev", project: "pods", type: "RxqBinding", name: "rxq3" });
    assert.deepEqual(urnParts("urn:pulumi:prod::pods::my:comp$netkit:index:NetkitSingle::xsk").type, "NetkitSingle");
    assert.equal(describeClaimant({ urn: urn("NetkitSingle", "xsk"), field: "leases[1].queue" }), 'NetkitSingle "xsk" (leases[1])');
    assert.equal(describeClaimant({ urn: urn("RxqBinding", "rxq3"), field: "nicQueue" }), 'RxqBinding "rxq3"');
    assert.ok(sameStack(urn("A", "a"), urn("B", "b")));
    assert.ok(!sameStack(urn("A", "a"), urn("A", "a", "prod")));
  });

  it("a second binding for the same NIC queue fails check naming the first; the first checked again keeps its claim", async () => {
    assert.deepEqual((await check(rxqBindingProvider, {}, binding("rxq3", 3))).failures, []);
    const twin = await check(rxqBindingProvider, {}, binding("rxq3-again", 3));
    assert.equal(twin.failures?.length, 1);
    assert.equal(twin.failures[0]!.property, "nicQueue");
    assert.match(twin.failures[0]!.reason, /eth1 RX queue 3 is declared by RxqBinding "rxq3" of this stack too: one lease has one owner/);
    // A replacement is checked twice by the engine (the second time without old inputs).
    assert.deepEqual((await check(rxqBindingProvider, binding("rxq3", 3), binding("rxq3", 3))).failures, []);
    assert.deepEqual((await check(rxqBindingProvider, {}, binding("rxq3", 3))).failures, []);
    assert.deepEqual((await check(rxqBindingProvider, {}, binding("rxq4", 4))).failures, [], "another queue");
    assert.deepEqual((await check(rxqBindingProvider, {}, binding("other-host", 3, { connection: { ...connection, host: "10.0.0.10" } }))).failures, [], "another host");
  });

  it("a binding for a queue a device's leases declare fails, and so does a device declaring a bound queue; each names the other", async () => {
    const xsk = {
      connection,
      name: "nk-xsk",
      netns: "pod1",
      leases: [
        { nic: "eth1", queue: 0 },
        { nic: "eth1", queue: 2 },
      ],
      __urn: urn("NetkitSingle", "xsk"),
    };
    assert.deepEqual((await check(netkitSingleProvider, {}, xsk)).failures, []);
    const b = await check(rxqBindingProvider, {}, binding("rxq2", 2));
    assert.match(b.failures![0]!.reason, /eth1 RX queue 2 is declared by NetkitSingle "xsk" \(leases\[1\]\) of this stack too/);
    const pod = { connection, name: "nk-pod", peerName: "eth0", peerNetns: "pod2", peerLeases: [{ nic: "eth1", queue: 0 }], __urn: urn("NetkitPair", "pod") };
    const p = await check(netkitPairProvider, {}, pod);
    assert.deepEqual([p.failures![0]!.property, p.failures!.length], ["peerLeases[0].queue", 1]);
    assert.match(p.failures![0]!.reason, /eth1 RX queue 0 is declared by NetkitSingle "xsk" \(leases\[0\]\) of this stack too/);
  });

  it("without a URN (a controller called directly) nothing is claimed; values not known yet are not claimed", async () => {
    const { __urn: _u, ...plain } = binding("x", 5);
    assert.deepEqual((await check(rxqBindingProvider, {}, plain)).failures, []);
    assert.deepEqual((await check(rxqBindingProvider, {}, plain)).failures, []);
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    assert.deepEqual((await check(rxqBindingProvider, {}, binding("u1", unknown as never))).failures, []);
    assert.deepEqual((await check(rxqBindingProvider, {}, binding("u2", unknown as never))).failures, []);
  });

  it("adoption: refused while another resource of the run claims the queue or another stack's resource holds it; allowed after `pulumi state delete`", () => {
    const owner = { urn: urn("RxqBinding", "rxq3"), endpoint: "10.0.0.9:22" };
    assert.equal(adoptionRefused(owner, "eth1", 3, 4, undefined), undefined, "nothing declares it: adopt");
    assert.equal(
      adoptionRefused(owner, "eth1", 3, 4, { urn: urn("RxqBinding", "gone"), field: "nicQueue", device: 7 }),
      undefined,
      "this stack's record (a binding dropped from state): adopt",
    );
    const elsewhere = adoptionRefused(owner, "eth1", 3, 4, { urn: urn("RxqBinding", "theirs", "prod"), field: "nicQueue", device: 7 });
    assert.match(elsewhere!.message, /RxqBinding "theirs" of stack prod \(project pods\) holds it, as this host records \(\/run\/pulumi-netkit\/owners\/4-3\)/);
    claimQueues("10.0.0.9:22", urn("RxqBinding", "first"), [{ nic: "eth1", queue: 3, field: "nicQueue" }]);
    assert.deepEqual(otherClaimant(owner, "eth1", 3), { urn: urn("RxqBinding", "first"), field: "nicQueue" });
    assert.match(adoptionRefused(owner, "eth1", 3, 4, undefined)!.message, /cannot adopt the lease of eth1 RX queue 3: .*RxqBinding "first" of this stack too/);
  });

  it("a preview counts a lease the host holds as the resource's own: leased before, held by its device's name and netns, or recorded by its URN", () => {
    const mine = urn("RxqBinding", "rxq3");
    const lease = (name: string, netns: string, recordedUrn?: string) => ({
      queue: 3,
      holder: { name, netns },
      ...(recordedUrn ? { recorded: { urn: recordedUrn, field: "nicQueue", device: 7 } } : {}),
    });
    const lessee = { name: "nk-xsk", netns: "/run/netns/pod1" };
    const cases: Array<[string, Parameters<typeof isOwnLease>[0], ReturnType<typeof lease>, boolean]> = [
      ["no lessee", undefined, lease("nk-xsk", "/run/netns/pod1"), false],
      ["its device, by name and netns", lessee, lease("nk-xsk", "/run/netns/pod1"), true],
      ["a device of its name in another netns", lessee, lease("nk-xsk", "/run/netns/pod2"), false],
      ["a device of its name in the host's netns, the lessee's too", { name: "nk-xsk" }, lease("nk-xsk", ""), true],
      ["another device", lessee, lease("nk-other", "/run/netns/pod1"), false],
      ["another device, on a queue it leased before (renamed, moved or replaced)", { ...lessee, held: [3] }, lease("nk-old", "/run/netns/pod0"), true],
      ["another device, on another queue it leased before", { ...lessee, held: [2] }, lease("nk-old", "/run/netns/pod0"), false],
      ["another device, recorded as its own (a replacement, checked without old inputs)", { ...lessee, urn: mine }, lease("nk-old", "/run/netns/pod0", mine), true],
      ["another device, recorded as another resource's", { ...lessee, urn: mine }, lease("nk-old", "/run/netns/pod0", urn("RxqBinding", "rxq4")), false],
      ["another device, recorded, the lessee without a URN", lessee, lease("nk-old", "/run/netns/pod0", mine), false],
    ];
    for (const [title, who, l, own] of cases) assert.equal(isOwnLease(who, l), own, title);
  });
});
