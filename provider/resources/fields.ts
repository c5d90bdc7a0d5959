// Field types shared by the netkit resources, with the kernel's own rules and limits
// (net/core/dev.c dev_valid_name, drivers/net/netkit.c, include/uapi/linux/if_link.h).
import { z } from "zod";
import { connectionSchema } from "../ssh/connection";
import { field } from "../definition/field";

/** Every resource's connection; without one, the configured default (provider/config.ts). */
export const connection = () =>
  field(connectionSchema.optional(), {
    description:
      "How to reach the host over SSH. Stored as a secret. Default: the provider's configured connection " +
      "(stack config netkit:host, netkit:hostKey, netkit:privateKey, …); a resource's own connection takes only missing credentials from config.",
    secret: true,
  });

/** IFNAMSIZ is 16 including the NUL: at most 15 bytes. */
export const interfaceName = z
  .string()
  .refine((s) => s.length > 0, "must not be empty")
  .refine((s) => Buffer.byteLength(s) <= 15, "must be at most 15 bytes (the kernel's IFNAMSIZ limit)")
  .refine((s) => s !== "." && s !== "..", 'must not be "." or ".."')
  .refine((s) => !/[/:\s]/.test(s), 'must not contain "/", ":" or whitespace')
  // dev_alloc_name() treats "%d" as a template; the provider needs the exact name.
  .refine((s) => !s.includes("%"), 'must not contain "%" (the kernel would treat it as a name template)')
  .refine((s) => !/[\x00-\x1f\x7f]/.test(s), "must not contain control characters");

/** A named netns (`ip netns add NAME`) or an absolute path to a netns file. */
export const netnsRef = z
  .string()
  .min(1)
  .refine((s) => !s.includes("\0") && !/[\x00-\x1f\x7f]/.test(s), "must not contain control characters")
  .refine(
    (s) => (s.startsWith("/") ? !s.split("/").some((p) => p === "." || p === "..") : /^[A-Za-z0-9_.-]+$/.test(s) && s !== "." && s !== ".."),
    "must be a netns name as `ip netns` uses (letters, digits, _ . -) or an absolute path such as /proc/<pid>/ns/net or /run/netns/<name>, without . or .. components",
  )
  // The kernel opens it as a file: "/" or a trailing "/" is a directory (EINVAL, ENOTDIR).
  .refine((s) => !(s.startsWith("/") && s.endsWith("/")), 'must name a file: an absolute path must not end in "/"')
  .refine((s) => Buffer.byteLength(s) <= (s.startsWith("/") ? 4095 : 255), "must be at most 255 bytes as a name (NAME_MAX) or 4095 as a path (PATH_MAX)");

/** The file the kernel opens for a netns reference. */
export function netnsPath(ref: string): string {
  return ref.startsWith("/") ? ref : `/run/netns/${ref}`;
}

export const macAddress = z
  .string()
  .transform((s) => s.toLowerCase())
  .refine((s) => /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(s), 'must be a MAC address like "02:00:00:00:00:01"')
  .refine((s) => (parseInt(s.slice(0, 2), 16) & 1) === 0, "must be a unicast address (the first octet's lowest bit clear)")
  .refine((s) => s !== "00:00:00:00:00:00", "must not be all zeros");

export const mtu = z.number().int().min(68).max(65535);
export const roomBytes = z.number().int().min(0).max(65535);
/** netkit accepts at most 1024 RX queues; only queue 0 is real, the rest are capacity for leases. */
export const numRxQueues = z.number().int().min(1).max(1024);
/** IFLA_TXQLEN is a u32. */
export const txQueueLen = z.number().int().min(0).max(4294967295);
/** netkit supports exactly one TX queue. */
export const numTxQueues = z.number().int().min(1).max(1);

export const mode = z.enum(["l2", "l3"]);
export const policy = z.enum(["forward", "blackhole"]);
export const scrub = z.enum(["default", "none"]);
