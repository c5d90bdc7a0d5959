// Every input of the netkit resources reaches the kernel: a generic link attribute through
// the one table (LINK_ATTRIBUTES, mapped by resources/link-attributes.ts for a single device
// and both sides of a pair), anything else through the resource's own host.ts (its
// OWN_FIELDS). A field in neither, a row with no field, or a row that the create, the update,
// the verification or the outputs drop, fails here.
import assert from "node:assert/strict";
import { checkInputs } from "../../../provider/definition/check";
import { inputKeys, type ResourceDefinition } from "../../../provider/definition/resource";
import type { NetkitLink } from "../../../provider/host/netkit";
import { LINK_ATTRIBUTE_ROWS, type LinkAttributes } from "../../../provider/netlink/link";
import { inputKey, type Side } from "../../../provider/resources/link-attributes";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import * as pair from "../../../provider/resources/netkit-pair/host";
import { netkitSingleDefinition } from "../../../provider/resources/netkit-single/definition";
import * as single from "../../../provider/resources/netkit-single/host";

const connection = { host: "10.0.0.1", privateKey: "k", hostKey: "SHA256:" + "a".repeat(43) };

/** A value other than the kernel's default for each row (the type makes the list complete). */
const SAMPLES: Required<LinkAttributes> = {
  mtu: 9000,
  macAddress: "02:00:00:00:00:09",
  numTxQueues: 1,
  numRxQueues: 4,
  txQueueLen: 500,
  group: 7,
  gsoMaxSize: 196608,
  gsoMaxSegs: 1000,
  groMaxSize: 131072,
  gsoIpv4MaxSize: 131072,
  groIpv4MaxSize: 131072,
  alias: "pod1 uplink",
  rpFilter: 2,
};

function checked(spec: ResourceDefinition, i: Record<string, unknown>): Record<string, unknown> {
  const r = checkInputs(spec, { connection, ...i });
  assert.deepEqual(r.failures, [], JSON.stringify(i));
  return r.inputs;
}

/** A netkit device as the kernel reports it, with `attrs` applied. */
function link(name: string, primary: boolean, attrs: LinkAttributes = {}): NetkitLink {
  return {
    ifindex: primary ? 7 : 8,
    name,
    up: true,
    ...attrs,
    netkit: { mode: "l2", policy: "forward", peerPolicy: "forward", primary, scrub: "default", peerScrub: "default", headroom: 0, tailroom: 0 },
  };
}

interface Resource {
  name: string;
  spec: ResourceDefinition;
  own: readonly string[];
  sides: Side[];
  base: Record<string, unknown>;
  /** The create's request for one side: what creation takes and what is set right after. */
  create(i: Record<string, unknown>, side: Side): { create: Record<string, unknown>; after: Record<string, unknown> };
  change(olds: Record<string, unknown>, news: Record<string, unknown>, changed: string[], side: Side): Record<string, unknown>;
  outputs(i: Record<string, unknown>, attrs: LinkAttributes, side: Side): Record<string, unknown>;
  /** What the create's verification says when the kernel reports `attrs` on `side`. */
  verify(i: Record<string, unknown>, attrs: LinkAttributes, side: Side): string | undefined;
}

const noLeases = { leases: [], queueIds: [] };
type PairInputs = Parameters<typeof pair.createRequest>[0];
type PairOutputs = Parameters<typeof pair.changeRequest>[0];
type SingleInputs = Parameters<typeof single.createRequest>[0];
type SingleOutputs = Parameters<typeof single.changeRequest>[0];
const on = { host: "h", release: "7.2" };

const RESOURCES: Resource[] = [
  {
    name: "NetkitPair",
    spec: netkitPairDefinition,
    own: pair.OWN_FIELDS,
    sides: ["", "peer"],
    base: { name: "nk0", peerName: "nk0p", peerNetns: "pod", mode: "l2" },
    create(i, side) {
      const r = pair.createRequest(i as PairInputs);
      return side ? { create: { ...r.create.peer }, after: { ...r.peerAfter } } : { create: { ...r.create.primary }, after: { ...r.primaryAfter } };
    },
    change(olds, news, changed, side) {
      const c = pair.changeRequest({ ...olds, ifindex: 7, peerIfindex: 8 } as PairOutputs, news as PairInputs, changed);
      return { ...(side ? c.peerChange : c.primaryChange) };
    },
    outputs(i, attrs, side) {
      return pair.outputs(i as PairInputs, link("nk0", true, side ? {} : attrs), link("nk0p", false, side ? attrs : {}), noLeases);
    },
    verify(i, attrs, side) {
      return pair.createRequest(i as PairInputs).verify(link("nk0", true, side ? {} : attrs), link("nk0p", false, side ? attrs : {}), on)?.message;
    },
  },
  {
    name: "NetkitSingle",
    spec: netkitSingleDefinition,
    own: single.OWN_FIELDS,
    sides: [""],
    base: { name: "s0", netns: "pod", mode: "l2" },
    create(i) {
      const r = single.createRequest(i as SingleInputs);
      return { create: { ...r.create.primary }, after: { ...r.primaryAfter } };
    },
    change(olds, news, changed) {
      return { ...single.changeRequest({ ...olds, ifindex: 7 } as SingleOutputs, news as SingleInputs, changed).primaryChange };
    },
    outputs(i, attrs) {
      return single.outputs(i as SingleInputs, { ...link("s0", true, attrs), netkit: { ...link("s0", true).netkit!, pairing: "single" } }, noLeases);
    },
    verify(i, attrs) {
      return single.createRequest(i as SingleInputs).verify({ ...link("s0", true, attrs), netkit: { ...link("s0", true).netkit!, pairing: "single" } }, undefined, on)?.message;
    },
  },
];

describe("unit: every input reaches the kernel (link attributes through one table)", () => {
  for (const r of RESOURCES) {
    const keys = inputKeys(r.spec);
    const viaTable = r.sides.flatMap((side) => LINK_ATTRIBUTE_ROWS.map(([k]) => inputKey(side, k)));

    it(`${r.name}: each link attribute is a field on every side, each field is mapped by the table or by host.ts, not both`, () => {
      assert.deepEqual(
        viaTable.filter((k) => !keys.includes(k)),
        [],
        "rows without a field (declare it with field() in the definition, or with linkSettingFields)",
      );
      assert.deepEqual(
        keys.filter((k) => !viaTable.includes(k) && !r.own.includes(k)),
        [],
        "fields mapped nowhere (a row in LINK_ATTRIBUTES, or the resource's host.ts and its OWN_FIELDS)",
      );
      assert.deepEqual(
        r.own.filter((k) => viaTable.includes(k) || !keys.includes(k)),
        [],
        "OWN_FIELDS that the table maps, or that are no field",
      );
    });

    for (const side of r.sides)
      for (const [k, row] of LINK_ATTRIBUTE_ROWS) {
        const key = inputKey(side, k);
        const v = SAMPLES[k];
        const when = { create: "sent at creation", live: "sent at creation and changed in place", after: "set right after creation and changed in place" }[row.applies];
        it(`${r.name}.${key}: ${when}, verified, read back`, () => {
          const i = checked(r.spec, { ...r.base, [key]: v });
          const made = r.create(i, side);
          assert.deepEqual((row.applies === "after" ? made.after : made.create)[k], v, "the create sends it");
          assert.equal((row.applies === "after" ? made.create : made.after)[k], undefined, "once");
          if (row.applies !== "create") {
            const olds = checked(r.spec, r.base);
            assert.deepEqual(r.change(olds, i, [key], side)[k], v, "an update sends it");
          }
          assert.deepEqual(r.outputs(i, { [k]: v }, side)[key], v, "the outputs report what the kernel does");
          assert.match(r.verify(i, {}, side) ?? "", new RegExp(`created \\S+ with .*${key} .*\\(asked ${String(v)}\\)`), "a create the kernel did not apply fails");
        });
      }
  }
});
