// Generic netlink framing (struct genlmsghdr) and the controller's CTRL_CMD_GETFAMILY, which
// resolves a family's id (allocated at registration, so never hard-coded) and lists its ops:
// the op list is how the provider probes for a feature such as queue-create.
import { decodeAttrs, encodeAttrs, readNested, readStr, readU16, readU32, str, u32, type Attr } from "./attributes";
import { CTRL_ATTR, CTRL_ATTR_OP, CTRL_ATTR_POLICY, CTRL_CMD_GETFAMILY, CTRL_CMD_GETPOLICY, GENL_ID_CTRL, GENLMSGHDR_LEN, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from "./constants";
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

/**
 * CTRL_CMD_GETPOLICY (a dump) of one op of a family, by the family's name: which attributes its `do` accepts. A
 * kernel that predates an attribute has no policy entry for it, so this is how an attribute
 * of a set op is probed without sending it.
 */
export function getOpPolicyByNameRequest(family: string, op: number): Buffer {
  return encodeGenl(GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_DUMP, { cmd: CTRL_CMD_GETPOLICY, version: 1 }, [str(CTRL_ATTR.FAMILY_NAME, family), u32(CTRL_ATTR.OP, op)]);
}

/**
 * The attribute types the op's `do` policy lists, from a GETPOLICY dump: one message maps the
 * op to its policy index (CTRL_ATTR_OP_POLICY), the others carry one policy entry each
 * (CTRL_ATTR_POLICY: {policy index: {attribute type: …}}). Undefined: the op has no `do`.
 */
export function parseOpPolicy(messages: NlMessage[], op: number): Set<number> | undefined {
  let index: number | undefined;
  const entries: Array<[number, number]> = [];
  for (const m of messages) {
    const { attrs } = decodeGenl(m);
    const opPolicy = readNested(attrs, CTRL_ATTR.OP_POLICY);
    const forOp = opPolicy ? readNested(opPolicy, op) : undefined;
    if (forOp) index = readU32(forOp, CTRL_ATTR_POLICY.DO);
    const policy = readNested(attrs, CTRL_ATTR.POLICY);
    for (const [idx, body] of policy ?? []) for (const type of decodeAttrs(body).keys()) entries.push([idx, type]);
  }
  if (index === undefined) return undefined;
  return new Set(entries.filter(([i]) => i === index).map(([, t]) => t));
}
