// Every invalid input is a CheckFailure that names the field, decided without any host.
import assert from "node:assert/strict";
import { checkInputs, UNKNOWN } from "../../../provider/definition/check";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import { netkitSingleDefinition } from "../../../provider/resources/netkit-single/definition";
import { rxqBindingDefinition } from "../../../provider/resources/rxq-binding/definition";

const connection = { host: "10.0.0.1", privateKey: "k" };
const pair = { connection, name: "nk0", peerName: "nk0p" };
const single = { connection, name: "nks0" };
const binding = { connection, deviceName: "nks0", netns: "pod1", nic: "eth1", nicQueue: 3 };

type Case = [title: string, inputs: Record<string, unknown>, property: string, reason: RegExp];

const pairCases: Case[] = [
  ["empty name", { ...pair, name: "" }, "name", /empty/],
  ["name of 16 bytes", { ...pair, name: "a".repeat(16) }, "name", /15 bytes/],
  ["multi-byte name over 15 bytes", { ...pair, name: "ü".repeat(8) }, "name", /15 bytes/],
  ["name with /", { ...pair, name: "a/b" }, "name", /"\/"/],
  ["name with :", { ...pair, name: "eth0:1" }, "name", /":"/],
  ["name with a space", { ...pair, name: "a b" }, "name", /whitespace/],
  ["name with a tab", { ...pair, name: "a\tb" }, "name", /whitespace/],
  ["name .", { ...pair, name: "." }, "name", /"\."/],
  ["name ..", { ...pair, name: ".." }, "name", /"\.\."/],
  ["name template", { ...pair, name: "nk%d" }, "name", /template/],
  ["peer name too long", { ...pair, peerName: "p".repeat(16) }, "peerName", /15 bytes/],
  ["peer name equal to name in one netns", { ...pair, peerName: "nk0" }, "peerName", /differ/],
  ["unknown mode", { ...pair, mode: "l4" }, "mode", /l2.*l3/],
  ["unknown policy", { ...pair, policy: "drop" }, "policy", /forward.*blackhole/],
  ["unknown peer policy", { ...pair, peerPolicy: "pass" }, "peerPolicy", /forward/],
  ["unknown scrub", { ...pair, scrub: "all" }, "scrub", /default.*none/],
  ["MAC in l3 mode", { ...pair, macAddress: "02:00:00:00:00:01" }, "macAddress", /mode l2/],
  ["peer MAC in l3 mode", { ...pair, peerMacAddress: "02:00:00:00:00:01" }, "peerMacAddress", /mode l2/],
  ["malformed MAC", { ...pair, mode: "l2", macAddress: "02:00:00:00:01" }, "macAddress", /MAC address/],
  ["multicast MAC", { ...pair, mode: "l2", macAddress: "01:00:5e:00:00:01" }, "macAddress", /unicast/],
  ["zero MAC", { ...pair, mode: "l2", macAddress: "00:00:00:00:00:00" }, "macAddress", /zeros/],
  ["MTU below 68", { ...pair, mtu: 67 }, "mtu", />=68/],
  ["MTU above 65535", { ...pair, peerMtu: 65536 }, "peerMtu", /<=65535/],
  ["fractional MTU", { ...pair, mtu: 1500.5 }, "mtu", /integer|int/],
  ["negative headroom", { ...pair, headroom: -1 }, "headroom", />=0/],
  ["tailroom above u16", { ...pair, tailroom: 70000 }, "tailroom", /<=65535/],
  ["0 RX queues", { ...pair, numRxQueues: 0 }, "numRxQueues", />=1/],
  ["1025 RX queues", { ...pair, peerNumRxQueues: 1025 }, "peerNumRxQueues", /<=1024/],
  ["2 TX queues", { ...pair, numTxQueues: 2 }, "numTxQueues", /<=1/],
  [
    "no room for the peer's leases",
    { ...pair, peerNumRxQueues: 1, peerLeases: [{ nic: "eth1", queue: 0 }] },
    "peerNumRxQueues",
    /1 leaves room for 0 leases .* peerLeases declares 1: set it to at least 2/,
  ],
  ["leases on the primary", { ...pair, leases: [{ nic: "eth1", queue: 0 }] }, "leases", /not a field of NetkitPair/],
  ["netns with ..", { ...pair, peerNetns: "/proc/1/../1/ns/net" }, "peerNetns", /absolute path/],
  ["relative netns path", { ...pair, peerNetns: "pods/x" }, "peerNetns", /netns name/],
  ["netns with control characters", { ...pair, peerNetns: "a\nb" }, "peerNetns", /control/],
  ["GSO size up to MAX_TCP_HEADER", { ...pair, gsoMaxSize: 320 }, "gsoMaxSize", /at least 321: the kernel refuses sizes up to MAX_TCP_HEADER/],
  ["GSO size above netkit's tso_max_size", { ...pair, peerGsoMaxSize: 524281 }, "peerGsoMaxSize", /at most 524280: netkit's tso_max_size/],
  ["IPv4 GSO size above netkit's tso_max_size", { ...pair, gsoIpv4MaxSize: 1048576 }, "gsoIpv4MaxSize", /at most 524280/],
  ["GSO segments above GSO_MAX_SEGS", { ...pair, gsoMaxSegs: 65536 }, "gsoMaxSegs", /at most 65535 \(GSO_MAX_SEGS/],
  ["GRO size above GRO_MAX_SIZE", { ...pair, peerGroMaxSize: 524281 }, "peerGroMaxSize", /at most 524280 \(GRO_MAX_SIZE\)/],
  ["negative IPv4 GRO size", { ...pair, groIpv4MaxSize: -1 }, "groIpv4MaxSize", />=0/],
  ["alias over 255 bytes", { ...pair, alias: "ä".repeat(128) }, "alias", /255 bytes/],
  ["alias with NUL", { ...pair, peerAlias: "a\0b" }, "peerAlias", /NUL/],
  ["group above u32", { ...pair, group: 4294967296 }, "group", /<=4294967295/],
  ["negative group", { ...pair, peerGroup: -1 }, "peerGroup", />=0/],
  ["rp_filter mode above loose", { ...pair, rpFilter: 3 }, "rpFilter", /<=2/],
  ["rp_filter not an integer", { ...pair, peerRpFilter: 1.5 }, "peerRpFilter", /expected int/],
  ["up not a boolean", { ...pair, up: "yes" }, "up", /boolean/],
  ["unknown field", { ...pair, peerMode: "l2" }, "peerMode", /not a field of NetkitPair/],
  ["missing peer name", { connection, name: "nk0" }, "peerName", /string/],
  ["connection without host", { ...pair, connection: { privateKey: "k" } }, "connection.host", /string/],
  ["connection port 0", { ...pair, connection: { ...connection, port: 0 } }, "connection.port", />=1/],
  ["connection with an unknown field", { ...pair, connection: { ...connection, passwd: "x" } }, "connection.passwd", /not a field/],
];

const singleCases: Case[] = [
  ["blackhole policy on a single device", { ...single, policy: "blackhole" }, "policy", /only forward/],
  ["peer name on a single device", { ...single, peerName: "p" }, "peerName", /not a field of NetkitSingle/],
  ["peer policy on a single device", { ...single, peerPolicy: "forward" }, "peerPolicy", /not a field/],
  ["scrub on a single device", { ...single, scrub: "none" }, "scrub", /not a field/],
  ["MAC on an l3 single device", { ...single, macAddress: "02:00:00:00:00:02" }, "macAddress", /mode l2/],
  ["peer link settings on a single device", { ...single, peerGsoMaxSize: 65536 }, "peerGsoMaxSize", /not a field of NetkitSingle/],
  ["GSO size above netkit's tso_max_size on a single device", { ...single, gsoMaxSize: 600000 }, "gsoMaxSize", /at most 524280/],
  ["single name too long", { ...single, name: "x".repeat(20) }, "name", /15 bytes/],
  ["single netns .. ", { ...single, netns: ".." }, "netns", /netns name/],
  ["2 TX queues on a single device", { ...single, numTxQueues: 2 }, "numTxQueues", /<=1/],
  // Leases: capacity and the kernel's rules, known before any host is asked.
  [
    "no room for the leases",
    {
      ...single,
      numRxQueues: 2,
      leases: [
        { nic: "eth1", queue: 0 },
        { nic: "eth1", queue: 1 },
      ],
    },
    "numRxQueues",
    /2 leaves room for 1 lease .* leases declares 2: set it to at least 3, or leave it unset/,
  ],
  [
    "leases from two NICs",
    {
      ...single,
      leases: [
        { nic: "eth1", queue: 0 },
        { nic: "eth2", queue: 1 },
      ],
    },
    "leases[1].nic",
    /must be eth1, as the first lease's/,
  ],
  [
    "one NIC queue twice",
    {
      ...single,
      leases: [
        { nic: "eth1", queue: 4 },
        { nic: "eth1", queue: 4 },
      ],
    },
    "leases[1].queue",
    /eth1 queue 4 is declared twice/,
  ],
  ["a lease of its own queue", { ...single, name: "eth1", leases: [{ nic: "eth1", queue: 0 }] }, "leases[0].nic", /cannot lease its own queue/],
  ["a lease without a queue", { ...single, leases: [{ nic: "eth1" }] }, "leases[0].queue", /number/],
  ["a lease with an unknown field", { ...single, leases: [{ nic: "eth1", queue: 1, netns: "x" }] }, "leases[0].netns", /not a field/],
  ["a lease queue above u16", { ...single, leases: [{ nic: "eth1", queue: 70000 }] }, "leases[0].queue", /<=65535/],
  ["leases not a list", { ...single, leases: { nic: "eth1", queue: 1 } }, "leases", /array/],
];

const bindingCases: Case[] = [
  ["missing device name", { ...binding, deviceName: undefined }, "deviceName", /string/],
  ["device name too long", { ...binding, deviceName: "d".repeat(16) }, "deviceName", /15 bytes/],
  ["missing NIC", { ...binding, nic: undefined }, "nic", /string/],
  ["NIC name with /", { ...binding, nic: "eth/1" }, "nic", /"\/"/],
  ["negative queue", { ...binding, nicQueue: -1 }, "nicQueue", />=0/],
  ["fractional queue", { ...binding, nicQueue: 1.5 }, "nicQueue", /integer|int/],
  ["queue above u16", { ...binding, nicQueue: 65536 }, "nicQueue", /<=65535/],
  ["queue as a string", { ...binding, nicQueue: "3" }, "nicQueue", /number/],
  ["self lease in one netns", { connection, deviceName: "eth1", nic: "eth1", nicQueue: 0 }, "nic", /must differ from deviceName/],
  ["relative netns path", { ...binding, netns: "pods/x" }, "netns", /netns name/],
  ["ifindex 0", { ...binding, deviceIfindex: 0 }, "deviceIfindex", />=1/],
  ["an output given as input", { ...binding, queueId: 1 }, "queueId", /not a field of RxqBinding/],
  ["the SDK's device option reaching the provider", { ...binding, device: "x" }, "device", /not a field of RxqBinding/],
];

describe("unit: input validation (check)", () => {
  for (const [spec, cases] of [
    [netkitPairDefinition, pairCases],
    [netkitSingleDefinition, singleCases],
    [rxqBindingDefinition, bindingCases],
  ] as const) {
    for (const [title, inputs, property, reason] of cases) {
      it(`${spec.name}: ${title} → ${property}`, () => {
        const r = checkInputs(spec, inputs);
        const hit = r.failures.find((f) => f.property === property);
        assert.ok(hit, `expected a failure on ${property}, got ${JSON.stringify(r.failures)}`);
        assert.match(hit.reason, reason);
      });
    }
  }

  it("valid inputs pass, normalised with the documented defaults", () => {
    const r = checkInputs(netkitPairDefinition, { ...pair, mode: "l2", macAddress: "02:AA:00:00:00:01", peerNetns: "/proc/1/ns/net", __provider: "x" });
    assert.deepEqual(r.failures, []);
    assert.equal(r.inputs.macAddress, "02:aa:00:00:00:01");
    assert.equal(r.inputs.policy, "forward");
    assert.equal(r.inputs.scrub, "default");
    assert.equal(r.inputs.up, true);
    assert.equal(r.inputs.connection!.port, 22);
    assert.equal(r.inputs.connection!.user, "root");
    assert.equal((r.inputs as Record<string, unknown>).__provider, "x", "engine keys pass through");
    assert.deepEqual(checkInputs(netkitSingleDefinition, { ...single, netns: "pod-1", mode: "l2", numRxQueues: 3 }).failures, []);
    const leases = [
      { nic: "eth1", queue: 5 },
      { nic: "eth1", queue: 2 },
    ];
    assert.deepEqual(checkInputs(netkitSingleDefinition, { ...single, leases }).failures, [], "capacity left unset: made 1 + the leases");
    assert.deepEqual(checkInputs(netkitSingleDefinition, { ...single, leases, numRxQueues: 8 }).failures, [], "room for more (RxqBinding)");
    assert.deepEqual(
      checkInputs(netkitSingleDefinition, { ...single, netns: "pod-1", name: "eth1", leases: [{ nic: "eth1", queue: 0 }] }).failures,
      [],
      "the NIC's name in another netns",
    );
    assert.deepEqual(checkInputs(netkitPairDefinition, { ...pair, peerNetns: "pod-1", peerLeases: leases }).failures, []);
  });

  it("RxqBinding: valid inputs pass; equal names are fine in different namespaces", () => {
    assert.deepEqual(checkInputs(rxqBindingDefinition, binding).failures, []);
    assert.deepEqual(checkInputs(rxqBindingDefinition, { ...binding, deviceName: "eth1", deviceIfindex: 7 }).failures, []);
    assert.deepEqual(checkInputs(rxqBindingDefinition, { connection, deviceName: "nk0", nic: "eth1", nicQueue: 0 }).failures, [], "netns defaults to the host's");
  });

  it("leases holding values unknown during preview: the count is still checked, the rest later", () => {
    const leases = [
      { nic: "eth1", queue: UNKNOWN },
      { nic: UNKNOWN, queue: UNKNOWN },
    ];
    assert.deepEqual(checkInputs(netkitSingleDefinition, { ...single, leases }).failures, []);
    assert.deepEqual(
      checkInputs(netkitSingleDefinition, { ...single, leases, numRxQueues: 2 }).failures.map((f) => f.property),
      ["numRxQueues"],
    );
  });

  it("values unknown during preview are left for later; the rest is still checked", () => {
    const r = checkInputs(netkitPairDefinition, { ...pair, connection: { host: UNKNOWN }, name: UNKNOWN, mtu: 1 });
    assert.deepEqual(
      r.failures.map((f) => f.property),
      ["mtu"],
    );
  });
});
