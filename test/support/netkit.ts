// Helpers for kernel-tier tests of the netkit controllers: normalised inputs (as the engine
// passes them after check) and independent host-side views via sysfs.
import assert from "node:assert/strict";
import { checkInputs } from "../../provider/definition/check";
import type { ResourceDefinition } from "../../provider/definition/resource";
import type { TestHost } from "../../testhost";
import { onHost } from "./shared-host";

export function checked<S extends ResourceDefinition>(spec: S, inputs: Record<string, unknown>): Record<string, unknown> & { __ok: true } {
  const r = checkInputs(spec, inputs);
  assert.deepEqual(r.failures, [], "test inputs must be valid");
  return r.inputs as Record<string, unknown> & { __ok: true };
}

/** sysfs attributes of a device, read with plain `cat` (not our codec), optionally in a netns. */
export async function sysfs(host: TestHost, name: string, netns?: string): Promise<Record<string, string> | undefined> {
  const files = ["ifindex", "mtu", "address", "flags", "tx_queue_len", "carrier"];
  const read = [
    "sh",
    "-c",
    'cd "/sys/class/net/$1" 2>/dev/null || exit 3; for f in ifindex mtu address flags tx_queue_len; do cat "$f"; done; cat carrier 2>/dev/null || echo -',
    "sh",
    name,
  ];
  const argv = netns ? ["ip", "netns", "exec", netns, ...read] : read;
  const r = await onHost(host, argv);
  if (r.exitCode === 3) return undefined;
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const values = r.stdout.toString().trim().split("\n");
  return Object.fromEntries(files.map((f, i) => [f, values[i] ?? ""]));
}

/** Names of all links on the host (and in the given netns): to prove nothing leaked. */
export async function linkNames(host: TestHost, netns?: string): Promise<string[]> {
  const argv = netns ? ["ip", "netns", "exec", netns, "ls", "/sys/class/net"] : ["ls", "/sys/class/net"];
  const r = await onHost(host, argv);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  return r.stdout.toString().trim().split(/\s+/).sort();
}

export const IFF_UP = 0x1;
export const isUp = (flags: string | undefined) => (parseInt(flags ?? "0", 16) & IFF_UP) !== 0;
