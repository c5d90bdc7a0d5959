// The relay's replies are lines of up to megabytes, arriving in chunks of any size.
import assert from "node:assert/strict";
import { LineSplitter } from "../../../provider/ssh/lines";

function split(chunks: Buffer[]): string[] {
  const out: string[] = [];
  const s = new LineSplitter((l) => out.push(l));
  for (const c of chunks) s.push(c);
  return out;
}

/** `text` cut every `size` bytes. */
const chunked = (text: string, size: number) => {
  const b = Buffer.from(text);
  return Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));
};

describe("unit: ssh line splitter", () => {
  it("joins a long line sent in many chunks, once", () => {
    const long = "x".repeat(1 << 20);
    assert.deepEqual(split(chunked(`${long}\n{"run":2}\n`, 32768)), [long, '{"run":2}']);
  });

  it("finds several lines in one chunk, a line cut anywhere, and skips blank lines", () => {
    const text = 'a\nbb\n\n  \nccc\n{"x":1}\n';
    for (const size of [1, 2, 3, 5, 7, text.length]) assert.deepEqual(split(chunked(text, size)), ["a", "bb", "ccc", '{"x":1}'], `chunks of ${size}`);
  });

  it("keeps a line without its newline until it ends", () => {
    const out: string[] = [];
    const s = new LineSplitter((l) => out.push(l));
    s.push(Buffer.from("par"));
    s.push(Buffer.from("tial"));
    assert.deepEqual(out, []);
    s.push(Buffer.from("\n"));
    assert.deepEqual(out, ["partial"]);
  });

  it("decodes a character whose bytes arrive in two chunks", () => {
    const b = Buffer.from("é→\n");
    assert.deepEqual(split([b.subarray(0, 1), b.subarray(1, 3), b.subarray(3)]), ["é→"]);
  });

  it("does not depend on the chunk's memory after push returns", () => {
    const out: string[] = [];
    const s = new LineSplitter((l) => out.push(l));
    const reused = Buffer.from("abc");
    s.push(reused);
    reused.fill(0x7a);
    s.push(Buffer.from("\n"));
    assert.deepEqual(out, ["abc"]);
  });
});
