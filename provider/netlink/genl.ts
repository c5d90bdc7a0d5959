// Generic netlink framing (struct genlmsghdr) and the controller's CTRL_CMD_GETFAMILY, which
// resolves a family's id (allocated at registration, so never hard-coded) and lists its ops:
// the op list is how the provider probes for a feature such as queue-create.
import { decodeAttrs, encodeAttrs, readNested, readStr, readU16, readU32, str, type Attr } from "./attributes";
import { CTRL_ATTR, CTRL_ATTR_OP, CTRL_CMD_GETFAMILY, GENL_ID_CTRL, GENLMSGHDR_LEN, NLM_F_ACK, NLM_F_REQUEST } from "./constants";
import { encodeMessage, type NlMessage } from "./message";

export interface GenlHeader {
  cmd: number;
  version: number;
}

/** A generic netlink message: nlmsghdr (type = family id), genlmsghdr, attributes. */
export function encodeGenl(familyId: number, flags: number, h: GenlHeader, attrs: readonly Attr[]): Buffer {
  const hdr = Buffer.alloc(GENLMSGHDR_LEN);
  hdr.writeUInt8(h.cmd, 0);
  hdr.writeUInt8(h.version, 1);
  return encodeMessage(familyId, flags, Buffer.concat([hdr, encodeAttrs(attrs)]));
}

export function decodeGenl(m: NlMessage): GenlHeader & { attrs: ReturnType<typeof decodeAttrs> } {
  if (m.payload.length < GENLMSGHDR_LEN) throw new Error(`generic netlink message too short (${m.payload.length} bytes)`);
  return { cmd: m.payload.readUInt8(0), version: m.payload.readUInt8(1), attrs: decodeAttrs(m.payload.subarray(GENLMSGHDR_LEN)) };
}

/** CTRL_CMD_GETFAMILY by name (`genl ctrl get name NAME`). An unknown family answers ENOENT. */
export function getFamilyRequest(name: string): Buffer {
  return encodeGenl(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, { cmd: CTRL_CMD_GETFAMILY, version: 1 }, [str(CTRL_ATTR.FAMILY_NAME, name)]);
}

export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  /** Op id → GENL_* capability flags (admin-perm, do, dump, …). */
  ops: Map<number, number>;
}

export function parseFamily(m: NlMessage): GenlFamily {
  const { attrs } = decodeGenl(m);
  const id = readU16(attrs, CTRL_ATTR.FAMILY_ID);
  if (id === undefined) throw new Error("CTRL_CMD_GETFAMILY reply without a family id");
  const ops = new Map<number, number>();
  // CTRL_ATTR_OPS nests one nest per op, each typed by its position (1, 2, …).
  for (const op of readNested(attrs, CTRL_ATTR.OPS)?.values() ?? []) {
    const o = decodeAttrs(op);
    const opId = readU32(o, CTRL_ATTR_OP.ID);
    if (opId !== undefined) ops.set(opId, readU32(o, CTRL_ATTR_OP.FLAGS) ?? 0);
  }
  return { id, name: readStr(attrs, CTRL_ATTR.FAMILY_NAME) ?? "", version: readU32(attrs, CTRL_ATTR.VERSION) ?? 0, ops };
}
