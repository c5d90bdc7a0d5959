// Netlink attributes (struct nlattr TLVs): one encoder and one decoder, nothing else.

import { NLA_F_NESTED, NLA_TYPE_MASK } from "./constants";

export interface Attr {
  type: number;
  /** Raw payload, or child attributes (encoded with NLA_F_NESTED). */
  value: Buffer | readonly Attr[];
}

const align4 = (n: number) => (n + 3) & ~3;

export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const nested = !Buffer.isBuffer(a.value);
    const payload = nested ? encodeAttrs(a.value as readonly Attr[]) : (a.value as Buffer);
    const len = 4 + payload.length;
    const buf = Buffer.alloc(align4(len));
    buf.writeUInt16LE(len, 0);
    buf.writeUInt16LE(a.type | (nested ? NLA_F_NESTED : 0), 2);
    payload.copy(buf, 4);
    parts.push(buf);
  }
  return Buffer.concat(parts);
}

/** Attributes by type (flags masked off); the last one wins if a type repeats. */
export type AttrMap = Map<number, Buffer>;

export function decodeAttrs(buf: Buffer): AttrMap {
  const out: AttrMap = new Map();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > buf.length) throw new Error(`malformed netlink attribute at offset ${off} (length ${len})`);
    out.set(buf.readUInt16LE(off + 2) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

// Payload builders, named by kernel NLA type.
export const u8 = (type: number, v: number): Attr => ({ type, value: Buffer.from([v]) });
export const u16 = (type: number, v: number): Attr => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return { type, value: b };
};
export const u32 = (type: number, v: number): Attr => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return { type, value: b };
};
export const s32 = (type: number, v: number): Attr => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return { type, value: b };
};
/** NLA_UINT: a u32 when the value fits, else a u64 (the kernel reads either). */
export const uint = (type: number, v: number): Attr => {
  if (v <= 0xffffffff) return u32(type, v);
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return { type, value: b };
};
export const str = (type: number, v: string): Attr => ({ type, value: Buffer.concat([Buffer.from(v), Buffer.alloc(1)]) });
export const bytes = (type: number, v: Buffer): Attr => ({ type, value: v });
export const nest = (type: number, children: readonly Attr[]): Attr => ({ type, value: children });

// Payload readers; undefined when the attribute is absent.
export const readU8 = (m: AttrMap, t: number) => m.get(t)?.readUInt8(0);
export const readU16 = (m: AttrMap, t: number) => m.get(t)?.readUInt16LE(0);
export const readU32 = (m: AttrMap, t: number) => m.get(t)?.readUInt32LE(0);
export const readS32 = (m: AttrMap, t: number) => m.get(t)?.readInt32LE(0);
/** NLA_UINT: 4 or 8 bytes, as the kernel chose for the value. */
export const readUint = (m: AttrMap, t: number) => {
  const b = m.get(t);
  if (!b) return undefined;
  return b.length >= 8 ? Number(b.readBigUInt64LE(0)) : b.readUInt32LE(0);
};
export const readStr = (m: AttrMap, t: number) => {
  const b = m.get(t);
  if (!b) return undefined;
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString();
};
export const readNested = (m: AttrMap, t: number) => {
  const b = m.get(t);
  return b ? decodeAttrs(b) : undefined;
};
