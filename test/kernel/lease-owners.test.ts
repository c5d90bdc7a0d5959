// One lease has one owner, against the real kernel with a netdevsim NIC: the controllers as
// the engine calls them, with the URN the SDK and the plugin send. The host records which
// resource holds each lease (read here with `cat`, not our codec): a binding of another stack
// is refused at check (preview) and at create, naming the holder; within a stack a binding
// adopts the lease its device holds only when no other resource of the run claims it (the
// case after `pulumi state delete`), and takes the record over; a binding leaving the stack
// drops its record, after which another stack may adopt the lease.
import assert from "node:assert/strict";
import { rxqBindingProvider as provider } from "../../provider/resources/rxq-binding/controller";
import { rxqBindingDefinition } from "../../provider/resources/rxq-binding/definition";
import { netkitSingleProvider } from "../../provider/resources/netkit-single/controller";
import { netkitSingleDefinition } from "../../provider/resources/netkit-single/definition";
import { hostFor } from "../../provider/resources/hosts";
import { forgetClaims } from "../../provider/resources/leases/claims";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { checked } from "../support/netkit";
import { addNetdevsim, removeNetdevsim, rxQueueCount } from "../support/netdevsim";
import { skipBecause } from "../support/skip";
import type { TestHost } from "../../testhost";

type Outs = Record<string, unknown>;
type Checked = { failures?: Array<{ property: string; reason: string }> };
const urn = (stack: string, type: string, name: string) => `urn:pulumi:${stack}::lease-owners::pulumi-nodejs:dynamic/netkit:${type}::${name}`;

describe("kernel: one lease has one owner (host records, adoption)", function () {
  let host: TestHost;
  const pod = "nko-pod";
  const NSIM = 7341;
  const nicName = "nko-nic0";
  let nic: number;
  let xsk: Outs;
  const held: Record<string, Outs> = {};

  const binding = (stack: string, name: string, nicQueue: number) =>
    checked(rxqBindingDefinition, { connection: connectionTo(host), deviceName: "nko-xsk", netns: pod, nic: nicName, nicQueue, __urn: urn(stack, "RxqBinding", name) });
  const check = (inputs: unknown) => (provider.check as (o: unknown, n: unknown) => Promise<Checked>)({}, inputs);
  /** The host's record for NIC queue q, as JSON (undefined: none). */
  const record = async (q: number) => {
    const r = await onHost(host, ["cat", `/run/pulumi-netkit/owners/${nic}-${q}`]);
    return r.exitCode === 0 ? (JSON.parse(r.stdout.toString()) as { urn: string; field: string; device: number; nsid?: number }) : undefined;
  };

  before(async function () {
    host = await sharedHost();
    const f = await (await hostFor(connectionTo(host))).facts();
    if (!f.has.queueLease) skipBecause(this, `kernel ${f.kernelRelease} has no queue-create in the netdev genl family`);
    forgetClaims();
    nic = await addNetdevsim(host, NSIM, 4, nicName);
    await onHost(host, ["ip", "netns", "add", pod]);
    const i = checked(netkitSingleDefinition, {
      connection: connectionTo(host),
      name: "nko-xsk",
      netns: pod,
      numRxQueues: 4,
      leases: [{ nic: nicName, queue: 0 }],
      __urn: urn("a", "NetkitSingle", "xsk"),
    });
    xsk = (await netkitSingleProvider.create(i as never)).outs as Outs;
  });

  after(async function () {
    forgetClaims();
    await onHost(host, ["ip", "netns", "del", pod]);
    await removeNetdevsim(host, NSIM);
  });

  it("a device's declared leases and a binding's lease are recorded on the host by their resource's URN", async function () {
    const r0 = await record(0);
    assert.deepEqual(
      [r0?.urn, r0?.field, r0?.device, typeof r0?.nsid],
      [urn("a", "NetkitSingle", "xsk"), "leases[0].queue", xsk.ifindex, "number"],
      "the device is in a pod netns",
    );
    held.rxq1 = (await provider.create(binding("a", "rxq1", 1) as never)).outs as Outs;
    assert.deepEqual([(await record(1))?.urn, (await record(1))?.field, (await record(1))?.device], [urn("a", "RxqBinding", "rxq1"), "nicQueue", xsk.ifindex]);
    assert.equal(await rxQueueCount(host, "nko-xsk", pod), 3);
  });

  it("another stack's binding for a lease this stack holds: refused at check (preview) and at create, naming the holder; nothing changes", async function () {
    const theirs = binding("b", "rxq1", 1);
    const c = await check(theirs);
    assert.equal(c.failures?.[0]?.property, "nicQueue");
    assert.match(c.failures[0].reason, /nko-nic0 RX queue 1 is leased already: RxqBinding "rxq1" of stack a \(project lease-owners\) holds it, as this host records/);
    await assert.rejects(provider.create(theirs as never), /cannot adopt the lease of nko-nic0 RX queue 1: RxqBinding "rxq1" of stack a .* one lease has one owner/);
    await assert.rejects(provider.create(binding("b", "q0", 0) as never), /NetkitSingle "xsk" \(leases\[0\]\) of stack a/);
    assert.equal((await record(1))?.urn, urn("a", "RxqBinding", "rxq1"), "the record is unchanged");
    assert.equal(await rxQueueCount(host, "nko-xsk", pod), 3, "no lease was made");
  });

  it("in the same stack: a binding dropped from state and declared again adopts and takes the record; a second claimant of the run is refused", async function () {
    // `pulumi state delete` of rxq1, declared again under another name: nothing else claims it.
    const again = binding("a", "rxq1-again", 1);
    assert.deepEqual((await check(again)).failures, []);
    held.again = (await provider.create(again as never)).outs as Outs;
    assert.deepEqual([held.again.queueId, (await record(1))?.urn], [held.rxq1!.queueId, urn("a", "RxqBinding", "rxq1-again")]);
    // A twin declared in the same run: its check fails, and so would its create.
    const twin = binding("a", "rxq1-twin", 1);
    assert.match((await check(twin)).failures![0]!.reason, /nko-nic0 RX queue 1 is declared by RxqBinding "rxq1-again" of this stack too: one lease has one owner/);
    await assert.rejects(provider.create(twin as never), /cannot adopt the lease of nko-nic0 RX queue 1: .*RxqBinding "rxq1-again" of this stack too/);
    assert.equal(await rxQueueCount(host, "nko-xsk", pod), 3);
  });

  it("a binding leaving its stack drops its record (the lease stays with the device): another stack may adopt it then", async function () {
    await provider.delete!("id", held.again as never);
    assert.equal(await record(1), undefined, "the record is gone");
    assert.equal(await rxQueueCount(host, "nko-xsk", pod), 3, "the lease stays with its device");
    forgetClaims(); // another stack's run
    const theirs = binding("b", "adopter", 1);
    assert.deepEqual((await check(theirs)).failures, []);
    const r = await provider.create(theirs as never);
    assert.deepEqual([(r.outs as Outs).queueId, (await record(1))?.urn], [held.rxq1!.queueId, urn("b", "RxqBinding", "adopter")]);
  });
});
