// Per-host preflight, once per host per run: kernel release, python3 (the relay runs at all),
// netkit, netkit single mode and RX queue leasing. Capabilities are probed from the kernel's
// own answers, never inferred from version numbers, and the probe can never create a device:
// it sends a netkit RTM_NEWLINK whose attributes fail validation on every kernel. Leasing is
// read from the generic netlink controller: the "netdev" family's op list names queue-create.
import { u32, u8 } from "../netlink/attributes";
import { IFLA_NETKIT, NETDEV_CMD, NETDEV_FAMILY_NAME, NETLINK_GENERIC } from "../netlink/constants";
import { getFamilyRequest, parseFamily } from "../netlink/genl";
import { newLinkRequest } from "../netlink/link";
import type { NlMessage, NlStatus } from "../netlink/message";
import type { SshSession } from "../ssh/session";
import { runRelay } from "./relay";

export interface HostFacts {
  host: string;
  kernelRelease: string;
  netkit: boolean;
  netkitSingle: boolean;
  /** The netdev genl family has queue-create (RX queue leasing, Linux 7.1+). */
  queueLease: boolean;
  /** The netdev family's id on this host (genl ids are assigned at boot), when it exists. */
  netdevFamilyId?: number;
}

const PRIMARY_REJECTED = "Primary attribute is read-only";

/**
 * The probe's attributes, in the order the kernel validates them:
 *  - PAIRING = 7 is out of range where single mode exists; older kernels ignore type 10;
 *  - PRIMARY is read-only on every netkit kernel (NLA_REJECT);
 *  - MODE = 9 is out of range everywhere, a last guard.
 */
export function netkitProbeRequest(): Buffer {
  return newLinkRequest({ name: "nk-probe" }, "netkit", [u32(IFLA_NETKIT.PAIRING, 7), u8(IFLA_NETKIT.PRIMARY, 1), u32(IFLA_NETKIT.MODE, 9)]);
}

/** What the probe's refusal says about the kernel. */
export function classifyProbe(status: NlStatus | undefined): { netkit: boolean; netkitSingle: boolean } {
  const netkit = !!status && status.errno !== 0 && status.message !== "Unknown device type";
  // Refused before reaching PRIMARY ⇒ the kernel validated PAIRING ⇒ single mode exists.
  return { netkit, netkitSingle: netkit && status?.message !== PRIMARY_REJECTED };
}

/**
 * What CTRL_CMD_GETFAMILY "netdev" says about leasing: the family's id, and whether its op
 * list has queue-create. A kernel without the family answers ENOENT (no reply message).
 */
export function classifyNetdevFamily(reply: NlMessage | undefined): { queueLease: boolean; netdevFamilyId?: number } {
  if (!reply) return { queueLease: false };
  const family = parseFamily(reply);
  return { queueLease: family.ops.has(NETDEV_CMD.QUEUE_CREATE), netdevFamilyId: family.id };
}

export async function probeHost(session: SshSession): Promise<HostFacts> {
  const [release, probe, netdev] = await runRelay(session, {
    stopOnError: false,
    ops: [
      { read: "/proc/sys/kernel/osrelease" },
      { netlink: netkitProbeRequest() },
      { netlink: getFamilyRequest(NETDEV_FAMILY_NAME), proto: NETLINK_GENERIC },
    ],
  });
  const kernelRelease = release?.kind === "data" ? release.data.toString().trim() : "unknown";
  const familyReply = netdev?.kind === "netlink" && netdev.status.errno === 0 ? netdev.messages[0] : undefined;
  return {
    host: session.host,
    kernelRelease,
    ...classifyProbe(probe?.kind === "netlink" ? probe.status : undefined),
    ...classifyNetdevFamily(familyReply),
  };
}
