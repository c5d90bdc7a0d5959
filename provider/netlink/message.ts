// Netlink message framing (struct nlmsghdr), struct ifinfomsg, and error/extack replies.
import { decodeAttrs, readStr, readU32 } from "./attributes";
import { IFINFOMSG_LEN, NLMSG_DONE, NLMSG_ERROR, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGHDR_LEN, NLM_F_ACK_TLVS, NLM_F_CAPPED } from "./constants";

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

export function encodeMessage(type: number, flags: number, payload: Buffer, seq = 0): Buffer {
  const hdr = Buffer.alloc(NLMSGHDR_LEN);
  hdr.writeUInt32LE(NLMSGHDR_LEN + payload.length, 0);
  hdr.writeUInt16LE(type, 4);
  hdr.writeUInt16LE(flags, 6);
  hdr.writeUInt32LE(seq, 8);
  hdr.writeUInt32LE(0, 12);
  return Buffer.concat([hdr, payload]);
}

export function decodeMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSGHDR_LEN <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len < NLMSGHDR_LEN || off + len > buf.length) throw new Error(`malformed netlink message at offset ${off} (length ${len})`);
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSGHDR_LEN, off + len),
    });
    off += (len + 3) & ~3;
  }
  return out;
}

/** An NLMSG_ERROR reply: errno 0 is an ACK. `message` is the kernel's extack text. */
export interface NlStatus {
  errno: number;
  message?: string;
  /** Offset of the offending attribute in the request, when the kernel names one. */
  offset?: number;
}

export function isDone(m: NlMessage): boolean {
  return m.type === NLMSG_DONE;
}

export function parseStatus(m: NlMessage): NlStatus | undefined {
  if (m.type !== NLMSG_ERROR && m.type !== NLMSG_DONE) return undefined;
  if (m.payload.length < 4) return { errno: 0 };
  const errno = -m.payload.readInt32LE(0) || 0; // an ACK carries 0, not -0
  const status: NlStatus = { errno };
  if (m.type === NLMSG_ERROR && m.flags & NLM_F_ACK_TLVS) {
    // The echoed request follows the error: only its header when it was capped (our
    // relay sets NETLINK_CAP_ACK), else the whole request. Its length says which.
    const echoedLen = m.payload.length >= 4 + NLMSGHDR_LEN ? m.payload.readUInt32LE(4) : 0;
    const capped = m.flags & NLM_F_CAPPED;
    const tlvStart = 4 + (capped ? NLMSGHDR_LEN : (echoedLen + 3) & ~3);
    if (tlvStart <= m.payload.length) {
      const tlv = decodeAttrs(m.payload.subarray(tlvStart));
      const msg = readStr(tlv, NLMSGERR_ATTR_MSG);
      const offs = readU32(tlv, NLMSGERR_ATTR_OFFS);
      if (msg) status.message = msg;
      if (offs !== undefined) status.offset = offs;
    }
  }
  return status;
}

/** struct ifinfomsg */
export interface IfInfo {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}

export function encodeIfInfo(i: Partial<IfInfo>): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(i.family ?? 0, 0);
  b.writeUInt16LE(i.type ?? 0, 2);
  b.writeInt32LE(i.index ?? 0, 4);
  b.writeUInt32LE(i.flags ?? 0, 8);
  b.writeUInt32LE(i.change ?? 0, 12);
  return b;
}

export function decodeIfInfo(b: Buffer): IfInfo {
  return { family: b.readUInt8(0), type: b.readUInt16LE(2), index: b.readInt32LE(4), flags: b.readUInt32LE(8), change: b.readUInt32LE(12) };
}
