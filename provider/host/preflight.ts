// Per-host preflight, once per host per run: kernel release, python3 (the relay runs at all),
// netkit and netkit single mode. Capabilities are probed from the kernel's own answers,
// never inferred from version numbers, and the probe can never create a device: it sends
// a netkit RTM_NEWLINK whose attributes fail validation on every kernel.
import { u32, u8 } from "../netlink/attributes";
import { IFLA_NETKIT } from "../netlink/constants";
import { newLinkRequest } from "../netlink/link";
import type { NlStatus } from "../netlink/message";
import type { SshSession } from "../ssh/session";
import { runRelay } from "./relay";

export interface HostFacts {
  host: string;
  kernelRelease: string;
  netkit: boolean;
  netkitSingle: boolean;
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

export async function probeHost(session: SshSession): Promise<HostFacts> {
  const [release, probe] = await runRelay(session, {
    stopOnError: false,
    ops: [{ read: "/proc/sys/kernel/osrelease" }, { netlink: netkitProbeRequest() }],
  });
  const kernelRelease = release?.kind === "data" ? release.data.toString().trim() : "unknown";
  return { host: session.host, kernelRelease, ...classifyProbe(probe?.kind === "netlink" ? probe.status : undefined) };
}
