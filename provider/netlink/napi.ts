// The netdev family's NAPI ops (net/core/netdev-genl.c): napi-get reads one NAPI instance by
// id (a queue's NAPI_ID from queue-get), napi-set changes its per-NAPI settings. The NAPI
// belongs to the physical NIC's queue; the kernel keeps its config per queue index
// (netif_napi_add_config), so settings survive a channel change. Linux 6.13+ (threaded per
// NAPI later); each attribute is probed from the op's policy, never from a version.
import { readS32, readU32, readUint, u32, uint, type Attr } from "./attributes";
import { NETDEV_A_NAPI, NETDEV_CMD, NETDEV_FAMILY_VERSION, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from "./constants";
import { decodeGenl, encodeGenl } from "./genl";
import type { NlMessage } from "./message";

/** enum netdev_napi_threaded, by the names the netdev spec gives them. */
export const NAPI_THREADED = { disabled: 0, enabled: 1, "busy-poll": 2 } as const;
export type NapiThreaded = keyof typeof NAPI_THREADED;

/** The settings napi-set changes, as napi-get reports them. */
export interface NapiSettings {
  deferHardIrqs?: number;
  /** Nanoseconds. */
  groFlushTimeout?: number;
  /** Nanoseconds. */
  irqSuspendTimeout?: number;
  threaded?: NapiThreaded;
}

export interface NapiInfo extends NapiSettings {
  id: number;
  ifindex: number;
  irq?: number;
  /** The NAPI's kernel thread, when threaded. */
  pid?: number;
}

export function napiGetRequest(familyId: number, napiId: number): Buffer {
  return encodeGenl(familyId, NLM_F_REQUEST | NLM_F_ACK, { cmd: NETDEV_CMD.NAPI_GET, version: NETDEV_FAMILY_VERSION }, [u32(NETDEV_A_NAPI.ID, napiId)]);
}

/** napi-get dump: every NAPI of one device (or of every device that is up). */
export function napiGetDumpRequest(familyId: number, ifindex?: number): Buffer {
  return encodeGenl(
    familyId,
    NLM_F_REQUEST | NLM_F_DUMP,
    { cmd: NETDEV_CMD.NAPI_GET, version: NETDEV_FAMILY_VERSION },
    ifindex === undefined ? [] : [u32(NETDEV_A_NAPI.IFINDEX, ifindex)],
  );
}

const threadedName = (v: number | undefined): NapiThreaded | undefined => (Object.entries(NAPI_THREADED).find(([, n]) => n === v)?.[0] as NapiThreaded | undefined) ?? undefined;

export function parseNapi(m: NlMessage): NapiInfo {
  const a = decodeGenl(m).attrs;
  const out: NapiInfo = { id: readU32(a, NETDEV_A_NAPI.ID) ?? 0, ifindex: readU32(a, NETDEV_A_NAPI.IFINDEX) ?? 0 };
  const set = <K extends keyof NapiInfo>(k: K, v: NapiInfo[K] | undefined) => v !== undefined && (out[k] = v);
  set("irq", readU32(a, NETDEV_A_NAPI.IRQ));
  set("pid", readU32(a, NETDEV_A_NAPI.PID));
  set("deferHardIrqs", readS32(a, NETDEV_A_NAPI.DEFER_HARD_IRQS));
  set("groFlushTimeout", readUint(a, NETDEV_A_NAPI.GRO_FLUSH_TIMEOUT));
  set("irqSuspendTimeout", readUint(a, NETDEV_A_NAPI.IRQ_SUSPEND_TIMEOUT));
  set("threaded", threadedName(readUint(a, NETDEV_A_NAPI.THREADED)));
  return out;
}

/** napi-set: only the settings given change. */
export function napiSetRequest(familyId: number, napiId: number, s: NapiSettings): Buffer {
  const attrs: Attr[] = [u32(NETDEV_A_NAPI.ID, napiId)];
  if (s.threaded !== undefined) attrs.push(u32(NETDEV_A_NAPI.THREADED, NAPI_THREADED[s.threaded]));
  if (s.deferHardIrqs !== undefined) attrs.push(u32(NETDEV_A_NAPI.DEFER_HARD_IRQS, s.deferHardIrqs));
  if (s.groFlushTimeout !== undefined) attrs.push(uint(NETDEV_A_NAPI.GRO_FLUSH_TIMEOUT, s.groFlushTimeout));
  if (s.irqSuspendTimeout !== undefined) attrs.push(uint(NETDEV_A_NAPI.IRQ_SUSPEND_TIMEOUT, s.irqSuspendTimeout));
  return encodeGenl(familyId, NLM_F_REQUEST | NLM_F_ACK, { cmd: NETDEV_CMD.NAPI_SET, version: NETDEV_FAMILY_VERSION }, attrs);
}
