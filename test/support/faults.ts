// Helpers for fault tests: an independent view of a host's netkit devices (iproute2's
// JSON, not our codec), SSH outages, and waiting for a condition.
import assert from "node:assert/strict";
import type { TestHost } from "../../testhost";
import { onHost } from "./shared-host";

export interface IpLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  up: boolean;
  kind?: string;
}

/** `ip -j -d link show` on the host (or in a netns): every device with its kind. */
export async function ipLinks(host: TestHost, netns?: string): Promise<IpLink[]> {
  const r = await onHost(host, ["ip", ...(netns ? ["-n", netns] : []), "-j", "-d", "link", "show"]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const links = JSON.parse(r.stdout.toString()) as Array<{ ifname: string; ifindex: number; mtu: number; flags: string[]; linkinfo?: { info_kind?: string } }>;
  return links.map((l) => ({ ifname: l.ifname, ifindex: l.ifindex, mtu: l.mtu, up: l.flags.includes("UP"), ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}) }));
}

/** Sorted names of the netkit devices on the host (or in a netns). */
export async function netkitNames(host: TestHost, netns?: string): Promise<string[]> {
  return (await ipLinks(host, netns))
    .filter((l) => l.kind === "netkit")
    .map((l) => l.ifname)
    .sort();
}

/**
 * Kills every sshd in the guest (the listener and each connection's process) and keeps
 * the SSH server down for `seconds` (guest/init.sh waits while /run/netkit-sshd-hold
 * exists). Runs detached in the guest, since it kills the session that starts it.
 * Armed now, it strikes the moment `whenExists` appears in the guest (polled there every
 * 20 ms, for at most 5 minutes), so that a fault lands among operations that take
 * milliseconds each rather than a test's round trip later. disarmOutages() cancels one
 * that has not struck.
 */
export async function sshdOutage(host: TestHost, seconds: number, whenExists: string): Promise<void> {
  const script =
    'exec </dev/null >/dev/null 2>&1; n=0; while [ ! -e "$2" ]; do n=$((n+1)); [ "$n" -gt 15000 ] && exit 0; sleep 0.02; done; ' +
    'touch /run/netkit-sshd-hold; pkill -x sshd; sleep "$1"; rm -f /run/netkit-sshd-hold';
  const r = await onHost(host, ["setsid", "-f", "sh", "-c", script, OUTAGE, String(seconds), whenExists]);
  assert.equal(r.exitCode, 0, r.stderr.toString());
}

/** The outage script's $0, by which disarmOutages finds it. */
const OUTAGE = "netkit-sshd-outage";

/** Cancels any armed outage (sshdOutage's whenExists) and lets sshd start again. */
export async function disarmOutages(host: TestHost): Promise<void> {
  await onHost(host, ["sh", "-c", `pkill -f '^sh -c .* ${OUTAGE} ' ; rm -f /run/netkit-sshd-hold; true`]);
}

/** Resolves once fn() returns true (errors count as false); fails after timeoutMs. */
export async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 120_000, everyMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once a command runs over SSH again (after an outage or a reset). */
export function sshAnswers(host: TestHost, timeoutMs = 180_000): Promise<void> {
  return waitFor(`SSH on ${host.name}`, async () => (await onHost(host, ["true"])).exitCode === 0, timeoutMs, 1000);
}
