// Field types shared by the netkit resources, with the kernel's own rules and limits
// (net/core/dev.c dev_valid_name, drivers/net/netkit.c, include/uapi/linux/if_link.h).
import { z } from "zod";
import { connectionSchema } from "../connection";
import { field } from "../definition/field";
import { containsUnknown } from "../definition/check";

/** Every resource's connection; without one, the configured default (provider/config.ts). */
export const connection = () =>
  field(connectionSchema.optional(), {
    description:
      "How to reach the host over SSH. Stored as a secret. Default: the provider's configured connection " +
      "(stack config netkit:host, netkit:hostKey, netkit:privateKey, …); a resource's own connection takes only missing credentials from config.",
    secret: true,
  });

/** What a changed name does, for its description. */
export const RENAME =
  "A change renames the device in place (down, rename, then up as declared): it keeps its ifindex and its leases; the resource id keeps the name the device was created with.";
/** What a changed netns does, for its description. */
export const MOVE =
  "A change moves the device in place (the kernel's netns move; it comes up as declared): it keeps its leases and its ifindex unless the target netns has a device with that ifindex (then the new one is read back); the resource id keeps the netns the device was created in.";

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

// Live link settings (net/core/rtnetlink.c validate_linkmsg, include/linux/netdevice.h).
/** GSO_MAX_SIZE = 8 * GSO_MAX_SEGS: netkit's tso_max_size, the largest GSO size it accepts. */
export const GSO_MAX_SIZE = 524280;
/** GRO_MAX_SIZE = 8 * 65535. */
export const GRO_MAX_SIZE = 524280;
export const GSO_MAX_SEGS = 65535;
/**
 * The kernel refuses GSO sizes up to MAX_TCP_HEADER, which depends on its config: 320 with
 * Debian's x86-64 configs (L1_CACHE_ALIGN(128 + MAX_HEADER)), less on minimal builds. 321 is
 * accepted by every x86-64 config.
 */
export const GSO_MIN_SIZE = 321;
export const gsoSize = z
  .number()
  .int()
  .min(GSO_MIN_SIZE, `must be at least ${GSO_MIN_SIZE}: the kernel refuses sizes up to MAX_TCP_HEADER (320 on Debian's kernels)`)
  .max(GSO_MAX_SIZE, `must be at most ${GSO_MAX_SIZE}: netkit's tso_max_size (GSO_MAX_SIZE)`);
export const gsoSegs = z.number().int().min(0).max(GSO_MAX_SEGS, `must be at most ${GSO_MAX_SEGS} (GSO_MAX_SEGS, netkit's tso_max_segs)`);
export const groSize = z.number().int().min(0).max(GRO_MAX_SIZE, `must be at most ${GRO_MAX_SIZE} (GRO_MAX_SIZE)`);
/** IFALIASZ is 256 including the NUL; "" removes the alias. */
export const alias = z
  .string()
  .refine((s) => Buffer.byteLength(s) <= 255, "must be at most 255 bytes (the kernel's IFALIASZ limit)")
  .refine((s) => !s.includes("\0"), "must not contain NUL");
/** IFLA_GROUP is a u32; 0 is the "default" group. */
export const group = z.number().int().min(0).max(4294967295);
/** net.ipv4.conf.DEV.rp_filter: 0 off, 1 strict, 2 loose (RFC 3704), its only modes. */
export const rpFilter = z.number().int().min(0).max(2);

/**
 * The live link settings of one device side (`ip link set NAME gso_max_size N … alias TEXT
 * group N`, the device's rp_filter sysctl): set at creation, changed in place, read back by
 * refresh. `of` names the side in descriptions ("the primary", "the peer", "the device").
 */
export function linkSettingFields(of: string) {
  const v4 = { feature: "ipv4BigTcp", except: 65536 } as const;
  return {
    gsoMaxSize: field(gsoSize.optional(), {
      description: `Largest GSO packet ${of} builds, in bytes (\`ip link set … gso_max_size\`); above 65536 is BIG TCP for IPv6 (IPv4 has its own limit). The kernel sets the IPv4 limit to it too when it is at most 65536: a declared IPv4 limit is sent again after it.`,
      kernelDefault: "65536",
    }),
    gsoMaxSegs: field(gsoSegs.optional(), { description: `Most segments in one GSO packet of ${of} (\`gso_max_segs\`).`, kernelDefault: "65535" }),
    groMaxSize: field(groSize.optional(), {
      description: `Largest packet GRO builds on ${of}, in bytes (\`gro_max_size\`); above 65536 is BIG TCP. The kernel sets the IPv4 limit to it too when it is at most 65536: a declared IPv4 limit is sent again after it.`,
      kernelDefault: "65536",
    }),
    gsoIpv4MaxSize: field(gsoSize.optional(), {
      description: `Largest IPv4 GSO packet of ${of} (\`gso_ipv4_max_size\`, Linux 6.3+); above 65536 is BIG TCP for IPv4.`,
      kernelDefault: "65536",
      needs: v4,
    }),
    groIpv4MaxSize: field(groSize.optional(), {
      description: `Largest IPv4 packet GRO builds on ${of} (\`gro_ipv4_max_size\`, Linux 6.3+).`,
      kernelDefault: "65536",
      needs: v4,
    }),
    alias: field(alias.optional(), { description: `Alias of ${of} (\`ip link set … alias\`, IFLA_IFALIAS), at most 255 bytes; "" removes it.`, kernelDefault: "none" }),
    group: field(group.optional(), { description: `Device group of ${of} (\`ip link set … group\`); 0 is the default group.`, kernelDefault: "0" }),
    rpFilter: field(rpFilter.optional(), {
      description:
        `Reverse path filtering of IPv4 packets arriving on ${of} (its net.ipv4.conf.DEV.rp_filter, set through rtnetlink): 0 off, 1 strict, 2 loose (RFC 3704). ` +
        "The kernel applies the larger of this and net.ipv4.conf.all.rp_filter of the device's netns, so 0 turns the check off only where that is 0 too. " +
        "Where the route back to a pod's addresses leaves through another device (BPF host routing, several uplinks), strict mode drops the pod's packets: use 0 or 2 there.",
      kernelDefault: "net.ipv4.conf.default.rp_filter of the device's netns",
    }),
  };
}

type PeerFields<T> = { [K in keyof T & string as `peer${Capitalize<K>}`]: T[K] };

/** The same fields for a pair's peer: peerGsoMaxSize, … */
export function peerLinkSettingFields(): PeerFields<ReturnType<typeof linkSettingFields>> {
  const f = linkSettingFields("the peer");
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [`peer${k[0]!.toUpperCase()}${k.slice(1)}`, v])) as PeerFields<typeof f>;
}

/** A queue index on a NIC; drivers have at most a few thousand RX queues. */
export const queueIndex = z.number().int().min(0).max(65535);

/** One NIC RX queue a netkit device takes (queue-create). */
export const lease = z
  .object({
    nic: field(interfaceName, { description: "Name of the physical NIC lending the queue, in the host's network namespace." }),
    queue: field(queueIndex, { description: "Index of the NIC's RX queue (0 … its RX queue count - 1)." }),
  })
  .strict();
/** A lease as a device declares it: which NIC queue. */
export type DeclaredLease = z.output<typeof lease>;
/** A device has at most 1024 RX queues, queue 0 its own. */
export const leases = z.array(lease).max(1023);

/**
 * The kernel's rules for the leases one device declares, as check failures: one NIC for all
 * (a device takes leases from one NIC), each NIC queue once, and room for them: the RX queue
 * capacity is 1 (the device's own) + the leases; left unset it is made so.
 */
export function checkLeases(
  ctx: z.core.$RefinementCtx,
  v: { leases?: DeclaredLease[] | undefined; capacity?: number | undefined; deviceName: string; deviceNetns?: string | undefined },
  paths: { leases: string; capacity: string },
): void {
  // During preview a list may hold values not known yet: the count still is.
  const ls = Array.isArray(v.leases) ? v.leases : [];
  if (!containsUnknown(ls))
    ls.forEach((l, i) => {
      if (l.nic !== ls[0]!.nic)
        ctx.addIssue({
          code: "custom",
          path: [paths.leases, i, "nic"],
          message: `must be ${ls[0]!.nic}, as the first lease's: the kernel takes all leases of one device from one NIC`,
        });
      if (ls.findIndex((x) => x.nic === l.nic && x.queue === l.queue) !== i)
        ctx.addIssue({ code: "custom", path: [paths.leases, i, "queue"], message: `${l.nic} queue ${l.queue} is declared twice` });
      if (v.deviceNetns === undefined && l.nic === v.deviceName)
        ctx.addIssue({ code: "custom", path: [paths.leases, i, "nic"], message: "must differ from the device's name: a device cannot lease its own queue" });
    });
  if (typeof v.capacity === "number" && v.capacity < 1 + ls.length)
    ctx.addIssue({
      code: "custom",
      path: [paths.capacity],
      message: `${v.capacity} leaves room for ${v.capacity - 1} lease${v.capacity === 2 ? "" : "s"} (queue 0 is the device's own), but ${paths.leases} declares ${ls.length}: set it to at least ${1 + ls.length}, or leave it unset`,
    });
}

/** A path in bpffs where another tool pinned something (a program, a link); never the provider's own directory. */
const bpffsPin = z
  .string()
  .refine((s) => /^\/sys\/fs\/bpf\/./.test(s), "must be a path in bpffs, under /sys/fs/bpf/")
  .refine((s) => !s.split("/").some((p) => p === "." || p === ".."), "must not contain . or .. components")
  .refine((s) => !/[\x00-\x1f\x7f]/.test(s), "must not contain control characters")
  .refine((s) => !s.endsWith("/"), 'must name a file: it must not end in "/"')
  .refine((s) => s !== "/sys/fs/bpf/pulumi-netkit" && !s.startsWith("/sys/fs/bpf/pulumi-netkit/"), "must not be in /sys/fs/bpf/pulumi-netkit, where the provider pins its links")
  .refine((s) => Buffer.byteLength(s) <= 4095, "must be at most 4095 bytes (PATH_MAX)");

const ANCHOR = "Another tool's attachment on the same hook, by its pin in bpffs: a program, or a bpf link. Give exactly one.";

/** Another tool's attachment on the same hook that a program goes before or after, by its pin. */
export const programAnchor = z
  .object({
    program: field(bpffsPin.optional(), {
      description: "The pin of a program attached to the same hook (through a link or not), e.g. one your loader pinned.",
    }),
    link: field(bpffsPin.optional(), {
      description: "The pin of a bpf link attached to the same hook, e.g. the link Cilium pinned for this device.",
    }),
  })
  .strict()
  .superRefine((a, ctx) => {
    if ((a.program === undefined) === (a.link === undefined))
      ctx.addIssue({ code: "custom", path: [], message: "give exactly one of program and link: the pin of the attachment to place the program next to" });
  });
export type DeclaredAnchor = z.output<typeof programAnchor>;

/** A BPF program that a loader pinned in bpffs, for a netkit hook, and where it goes among other tools' programs. */
export const program = z
  .object({
    pin: field(bpffsPin, {
      description: "Where the program is pinned (by bpftool, Cilium, or your loader), e.g. /sys/fs/bpf/pod-policy. It must be a tc (sched_cls) program.",
    }),
    position: field(z.enum(["first", "last"]).optional(), {
      description:
        "first: before every other tool's program on the hook (only for the list's first entry); last: after all of them (only for its last). Default: after the previous entry, or (the first entry) after what the hook runs.",
      enumName: "ProgramPosition",
    }),
    before: field(programAnchor.optional(), {
      description: "Runs before this other tool's program or link on the same hook (the kernel's BPF_F_BEFORE).",
      typeName: "ProgramAnchor",
      typeDescription: ANCHOR,
    }),
    after: field(programAnchor.optional(), {
      description: "Runs after this other tool's program or link on the same hook (the kernel's BPF_F_AFTER).",
      typeName: "ProgramAnchor",
      typeDescription: ANCHOR,
    }),
  })
  .strict()
  .superRefine((p, ctx) => {
    const set = (["position", "before", "after"] as const).filter((k) => p[k] !== undefined);
    if (set.length > 1) ctx.addIssue({ code: "custom", path: [set[1]!], message: `give one of position, before and after, not ${set.join(" and ")}` });
  });
export type DeclaredProgramInput = z.output<typeof program>;
/** bpf_mprog allows 64 programs per hook. */
export const programs = z
  .array(program)
  .max(64)
  .superRefine((list, ctx) => {
    if (containsUnknown(list)) return;
    const pins = new Set(list.map((p) => p.pin));
    list.forEach((p, i) => {
      if (list.findIndex((q) => q.pin === p.pin) !== i)
        ctx.addIssue({ code: "custom", path: [i, "pin"], message: `${p.pin} is listed twice: the kernel runs a program once per hook` });
      // The list runs in its order: first and last are about other tools' programs.
      if (p.position === "first" && i > 0)
        ctx.addIssue({ code: "custom", path: [i, "position"], message: "first is only for the list's first entry: the entries run in the order listed" });
      if (p.position === "last" && i < list.length - 1)
        ctx.addIssue({ code: "custom", path: [i, "position"], message: "last is only for the list's last entry: the entries run in the order listed" });
      for (const dir of ["before", "after"] as const) {
        const a = p[dir]?.program;
        if (a !== undefined && pins.has(a))
          ctx.addIssue({ code: "custom", path: [i, dir, "program"], message: `${a} is in this list: its order says where it runs; anchors are other tools' programs` });
      }
    });
  });

export const mode = z.enum(["l2", "l3"]);
export const policy = z.enum(["forward", "blackhole"]);
export const scrub = z.enum(["default", "none"]);
