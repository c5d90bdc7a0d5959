// Netns ids (RTM_GETNSID / RTM_NEWNSID, net/core/net_namespace.c): the number under which
// one netns knows another (`ip netns list-id`, `ip netns set NAME ID`). Requests act in the
// netns of the socket that sends them; the peer netns is named by an fd the relay opened.
import { decodeAttrs, encodeAttrs, readS32, s32, u32 } from "./attributes";
import { NETNSA, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, RTGENMSG_LEN, RTM_GETNSID, RTM_NEWNSID } from "./constants";
import { encodeMessage, type NlMessage } from "./message";

const rtgenmsg = () => Buffer.alloc(RTGENMSG_LEN); // rtgen_family AF_UNSPEC

/** The nsid of the netns open as `fd`, as the socket's netns sees it (-1: none assigned). */
export function getNsidRequest(fd: number): Buffer {
  return encodeMessage(RTM_GETNSID, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([rtgenmsg(), encodeAttrs([u32(NETNSA.FD, fd)])]));
}

/** Every nsid the socket's netns has assigned (`ip netns list-id`). */
export function dumpNsidsRequest(): Buffer {
  return encodeMessage(RTM_GETNSID, NLM_F_REQUEST | NLM_F_DUMP, rtgenmsg());
}

/**
 * Assigns `nsid` to the netns open as `fd`, in the socket's netns (`ip netns set NAME ID`).
 * The kernel refuses (EEXIST) if that netns already has an id there or the id is taken.
 */
export function newNsidRequest(fd: number, nsid: number): Buffer {
  return encodeMessage(RTM_NEWNSID, NLM_F_REQUEST | NLM_F_ACK, Buffer.concat([rtgenmsg(), encodeAttrs([s32(NETNSA.NSID, nsid), u32(NETNSA.FD, fd)])]));
}

export function isNsidMessage(m: NlMessage): boolean {
  return m.type === RTM_NEWNSID;
}

export function parseNsid(m: NlMessage): number | undefined {
  return readS32(decodeAttrs(m.payload.subarray(RTGENMSG_LEN)), NETNSA.NSID);
}

/** The lowest id not in use, as the kernel itself would pick for `ip netns set NAME auto`. */
export function lowestFreeNsid(used: Iterable<number>): number {
  const taken = new Set(used);
  let id = 0;
  while (taken.has(id)) id++;
  return id;
}
