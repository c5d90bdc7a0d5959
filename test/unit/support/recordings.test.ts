// The controller tier's recordings are normalised when written (test/support/recorded-host.ts),
// so that recording a scenario again changes only what changed. Checked here on the committed
// recordings: each is already normal, and what a re-record on another VM changes by itself (its
// port, batch ids, netlink sequence numbers and port ids, the kernel's random MAC addresses,
// counters, the relay's buffer addresses in bpf() results) is normalised away again.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { normaliseRecording, readRecording, RECORDED_PORT, RECORDINGS, type Recording } from "../../support/recorded-host";

const scenarios = readdirSync(RECORDINGS)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.replace(/\.json$/, ""));

const standIn = (n: number) => Buffer.from([0x02, 0x6e, 0x6b, 0x00, 0x00, n]);
const randomMac = (n: number) => Buffer.from([0xae, 0x13, 0x57, 0x9b, 0xdf, n]);

/** `b` with the stand-ins of the kernel's random MAC addresses replaced by other random-looking ones. */
function otherMacs(b: Buffer): Buffer {
  for (let n = 1; n < 16; n++) for (let at = b.indexOf(standIn(n)); at >= 0; at = b.indexOf(standIn(n), at + 6)) randomMac(n).copy(b, at);
  return b;
}

/** A reply as another run got it: other random MAC addresses, sequence numbers and port ids. */
function otherReply(reply: string): string {
  const b = otherMacs(Buffer.from(reply, "base64"));
  for (let at = 0; at + 16 <= b.length;) {
    const len = b.readUInt32LE(at);
    if (len < 16 || at + len > b.length) break;
    b.writeUInt32LE(1000 + at, at + 8);
    b.writeUInt32LE(4242, at + 12);
    at += (len + 3) & ~3;
  }
  return b.toString("base64");
}

/** The recording as a run on another VM would have written it, before normalisation. */
function asRecordedElsewhere(r: Recording): Recording {
  const port = 40123;
  const text = JSON.stringify(r)
    .split(`127.0.0.1:${RECORDED_PORT}`)
    .join(`127.0.0.1:${port}`)
    .replace(/02:6e:6b:00:00:([0-9a-f]{2})/g, (_, n: string) => `ae:13:57:9b:df:${n}`);
  const other = JSON.parse(text) as Recording;
  const replies = (v: unknown, key?: string): unknown => {
    if (typeof v === "string" && key === "reply") return otherReply(v);
    if (Array.isArray(v)) return v.map((x) => replies(x));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replies(x, k)]));
    return v;
  };
  return {
    ...other,
    port,
    exchanges: other.exchanges.map((x) => {
      const ops = x.batch.ops.map((o) => {
        const op = o as Record<string, unknown>;
        return typeof op.message === "string" ? { ...op, message: otherMacs(Buffer.from(op.message, "base64")).toString("base64") } : o;
      });
      const results = (replies(x.results) as Record<string, unknown>[]).map((res, i) => {
        // The relay's buffers at other addresses.
        const op = ops[i] as { op?: string; bufs?: [number, number][] } | undefined;
        if (op?.op !== "bpf" || typeof res.attr !== "string" || !op.bufs) return res;
        const attr = Buffer.from(res.attr, "base64");
        for (const [at] of op.bufs) if (at + 8 <= attr.length) attr.writeBigUInt64LE(0x7fab12345678n, at);
        return { ...res, attr: attr.toString("base64") };
      });
      return { batch: { ...x.batch, id: randomUUID(), ops }, results };
    }),
  };
}

describe("unit: controller recordings are normalised", function () {
  it("there are recordings to check", () => assert.ok(scenarios.length >= 5, scenarios.join(", ")));

  for (const s of scenarios) {
    it(`${s}: already normal, and a recording of it on another VM normalises to it`, () => {
      const committed = readRecording(s);
      assert.deepEqual(normaliseRecording(committed), committed, "written through normaliseRecording");
      const elsewhere = asRecordedElsewhere(committed);
      assert.notDeepEqual(elsewhere, committed);
      assert.deepEqual(normaliseRecording(elsewhere), committed);
    });
  }
});
