// bpf(2) requests as data, for the relay's bpf op (include/uapi/linux/bpf.h, union bpf_attr):
// the attr bytes of each command the provider uses, and the parsers of what the kernel writes
// back. fds that only exist in the relay run are named by slot; the relay fills them in.

/**
 * bpf(cmd, attr): the attr bytes as the kernel reads them, except what only the relay knows:
 * fds that earlier ops of the batch returned (`fds`: offset → slot), pointers to path strings
 * (`paths`) and to output buffers (`bufs`: offset, size; returned with the result). A returned
 * fd is kept in slot `keep` until the batch ends.
 */
export interface BpfOp {
  op: "bpf";
  cmd: number;
  attr: Buffer;
  fds?: Array<[offset: number, slot: string]>;
  paths?: Array<[offset: number, path: string]>;
  bufs?: Array<[offset: number, size: number]>;
  keep?: string;
  /** The attr must hold these bytes at these offsets after the call, or the op fails with ESTALE (a hook's revision check). */
  expect?: Array<[offset: number, bytes: Buffer]>;
}

/** enum bpf_cmd */
export const BPF_CMD = {
  PROG_LOAD: 5,
  OBJ_PIN: 6,
  OBJ_GET: 7,
  OBJ_GET_INFO_BY_FD: 15,
  PROG_QUERY: 16,
  LINK_CREATE: 28,
  LINK_UPDATE: 29,
  LINK_DETACH: 34,
} as const;

/** enum bpf_attach_type: netkit's two hooks, both attached through the primary's ifindex. */
export const BPF_NETKIT_PRIMARY = 54;
export const BPF_NETKIT_PEER = 55;

/**
 * Attach flags (bpf_mprog, kernel/bpf/mprog.c): before or after another attachment (without
 * one: the hook's first or last place), named by an fd of its program, or of its link with
 * BPF_F_LINK, or by its id with BPF_F_ID.
 */
export const BPF_F_BEFORE = 1 << 3;
export const BPF_F_AFTER = 1 << 4;
export const BPF_F_ID = 1 << 5;
export const BPF_F_LINK = 1 << 13;

/** enum bpf_link_type */
export const BPF_LINK_TYPE_NETKIT = 13;

/** bpf_mprog_max(): at most this many programs per hook. */
export const MAX_PROGRAMS_PER_HOOK = 64;

/** BPF_OBJ_GET: an fd of what is pinned at `path`, kept in `slot`. */
export function objGet(path: string, slot: string): BpfOp {
  // pathname u64 @0, bpf_fd @8, file_flags @12, path_fd @16
  return { op: "bpf", cmd: BPF_CMD.OBJ_GET, attr: Buffer.alloc(20), paths: [[0, path]], keep: slot };
}

/** BPF_OBJ_PIN: pins the object in `slot` at `path` (the parent directory must exist). */
export function objPin(slot: string, path: string): BpfOp {
  return { op: "bpf", cmd: BPF_CMD.OBJ_PIN, attr: Buffer.alloc(20), paths: [[0, path]], fds: [[8, slot]] };
}

/** Size of the info buffers asked for: bpf_prog_info's and bpf_link_info's first fields suffice. */
const INFO_LEN = 96;

/** BPF_OBJ_GET_INFO_BY_FD of the object in `slot` (a program or a link). */
export function objInfo(slot: string): BpfOp {
  // bpf_fd @0, info_len @4, info u64 @8
  const attr = Buffer.alloc(16);
  attr.writeUInt32LE(INFO_LEN, 4);
  return { op: "bpf", cmd: BPF_CMD.OBJ_GET_INFO_BY_FD, attr, fds: [[0, slot]], bufs: [[8, INFO_LEN]] };
}

/** A program's id, from its bpf_prog_info (type @0, id @4, name[16] @64). */
export function parseProgInfo(info: Buffer): { id: number; name: string } {
  const name = info.subarray(64, 80);
  const end = name.indexOf(0);
  return { id: info.readUInt32LE(4), name: name.subarray(0, end < 0 ? 16 : end).toString() };
}

/** A link's id, program and (for netkit links) device; ifindex 0: the device is gone or it was detached. */
export interface LinkInfo {
  type: number;
  id: number;
  progId: number;
  ifindex: number;
  attachType: number;
}

/** bpf_link_info: type @0, id @4, prog_id @8, then the union (8-aligned) @16: netkit {ifindex, attach_type}. */
export function parseLinkInfo(info: Buffer): LinkInfo {
  return { type: info.readUInt32LE(0), id: info.readUInt32LE(4), progId: info.readUInt32LE(8), ifindex: info.readUInt32LE(16), attachType: info.readUInt32LE(20) };
}

/** BPF_PROG_QUERY on a netkit hook: the attached programs and their links, in run order. */
export function progQuery(ifindex: number, attachType: number): BpfOp {
  // target_ifindex @0, attach_type @4, query_flags @8, attach_flags @12, prog_ids u64 @16,
  // count @24, prog_attach_flags u64 @32, link_ids u64 @40, link_attach_flags u64 @48, revision @56
  const attr = Buffer.alloc(64);
  attr.writeUInt32LE(ifindex, 0);
  attr.writeUInt32LE(attachType, 4);
  attr.writeUInt32LE(MAX_PROGRAMS_PER_HOOK, 24);
  return {
    op: "bpf",
    cmd: BPF_CMD.PROG_QUERY,
    attr,
    bufs: [
      [16, 4 * MAX_PROGRAMS_PER_HOOK],
      [40, 4 * MAX_PROGRAMS_PER_HOOK],
    ],
  };
}

/**
 * A BPF_PROG_QUERY that fails (ESTALE, checked by the relay) unless the hook still runs
 * `count` programs and, when it runs any, is at `revision`: what the ops after it were
 * planned from. (The kernel reports revision 1 for a hook that runs nothing, whatever its
 * count of changes: there only the count can tell.)
 */
export function hookUnchanged(ifindex: number, attachType: number, count: number, revision: bigint): BpfOp {
  const attr = Buffer.alloc(64);
  attr.writeUInt32LE(ifindex, 0);
  attr.writeUInt32LE(attachType, 4);
  const n = Buffer.alloc(4);
  n.writeUInt32LE(count);
  const expect: Array<[number, Buffer]> = [[24, n]];
  if (count > 0) {
    const r = Buffer.alloc(8);
    r.writeBigUInt64LE(revision);
    expect.push([56, r]);
  }
  return { op: "bpf", cmd: BPF_CMD.PROG_QUERY, attr, expect };
}

/** What a hook runs, in order: program ids, and the link of each (0: attached without a link). */
export interface HookQuery {
  progIds: number[];
  linkIds: number[];
  revision: bigint;
}

export function parseProgQuery(attr: Buffer, bufs: Buffer[]): HookQuery {
  const count = Math.min(attr.readUInt32LE(24), MAX_PROGRAMS_PER_HOOK);
  const ids = (b: Buffer | undefined) => Array.from({ length: count }, (_, i) => b?.readUInt32LE(4 * i) ?? 0);
  return { progIds: ids(bufs[0]), linkIds: ids(bufs[1]), revision: attr.readBigUInt64LE(56) };
}

/**
 * Where a new link goes: before or after `rel` (an fd slot of the relay's batch or an id, of a
 * program or of a link), or without `rel` the hook's first or last place.
 */
export interface Placement {
  before: boolean;
  rel?: { slot: string; link: boolean } | { id: number; link: boolean };
}

/**
 * BPF_LINK_CREATE of the program in `prog` on a netkit hook of the primary `ifindex`, placed
 * as `place` says (default: last), the link kept in `slot`. `revision`: the hook's revision the
 * attach expects (expected_revision; ESTALE if another change came first); 0: none.
 */
export function linkCreate(prog: string, ifindex: number, attachType: number, slot: string, place: Placement = { before: false }, revision = 0n): BpfOp {
  // prog_fd @0, target_ifindex @4, attach_type @8, flags @12, netkit.relative_fd|relative_id @16, netkit.expected_revision @24
  const attr = Buffer.alloc(32);
  attr.writeUInt32LE(ifindex, 4);
  attr.writeUInt32LE(attachType, 8);
  const fds: Array<[number, string]> = [[0, prog]];
  let flags = place.before ? BPF_F_BEFORE : BPF_F_AFTER;
  const rel = place.rel;
  if (rel) {
    if (rel.link) flags |= BPF_F_LINK;
    if ("id" in rel) {
      flags |= BPF_F_ID;
      attr.writeUInt32LE(rel.id, 16);
    } else fds.push([16, rel.slot]);
  }
  attr.writeUInt32LE(flags, 12);
  attr.writeBigUInt64LE(revision, 24);
  return { op: "bpf", cmd: BPF_CMD.LINK_CREATE, attr, fds, keep: slot };
}

/** BPF_LINK_UPDATE: the link in `link` runs the program in `prog` from now on, in the same place. */
export function linkUpdate(link: string, prog: string): BpfOp {
  // link_fd @0, new_prog_fd @4, flags @8, old_prog_fd @12
  return {
    op: "bpf",
    cmd: BPF_CMD.LINK_UPDATE,
    attr: Buffer.alloc(16),
    fds: [
      [0, link],
      [4, prog],
    ],
  };
}

/** BPF_LINK_DETACH: the link stops running its program (its pin, if any, stays until unlinked). */
export function linkDetach(link: string): BpfOp {
  return { op: "bpf", cmd: BPF_CMD.LINK_DETACH, attr: Buffer.alloc(8), fds: [[0, link]] };
}
