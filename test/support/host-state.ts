// A test host as seen from outside the provider: every link (`ip -d -j link show`) in the
// host's netns and in each named netns, the netns list with their nsids, and how many SSH
// connections its sshd has received so far. sshd runs with LogLevel VERBOSE and logs one
// "Connection from" line per TCP connection to the VM's console log (see
// testhost/guest/init.sh), even one that never authenticates, so a difference in that count
// shows whether anything dialed the host at all.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { TestHost } from "../../testhost";
import { onHost } from "./shared-host";

export interface HostState {
  /** Links of every netns plus `ip netns list`, as the host's own iproute2 prints them. */
  devices: string;
  /** "Connection from" lines in sshd's log up to and including this probe's own connection. */
  connections: number;
}

// Fixed script (no input is spliced in): netns names come from the host itself. The
// marker written to /dev/console lands in the console log after sshd's line for this
// very connection, so counting up to it is exact once it is there.
const SCRIPT = [
  "set -e",
  "ip netns list",
  "ip -d -j link show",
  'for ns in $(ip netns list | cut -d" " -f1); do echo "netns $ns"; ip -n "$ns" -d -j link show; done',
  'echo "$1" >/dev/console',
].join("\n");

let probes = 0;

const countConnections = (log: string) => (log.match(/Connection from /g) ?? []).length;

/**
 * "Connection from" lines in the console log so far, without a probe: cheap, but a line
 * may still be on its way from the VM; hostState() gives the exact count.
 */
export function connectionsLogged(host: TestHost): number {
  return countConnections(readFileSync(host.logPath, "latin1"));
}

export async function hostState(host: TestHost): Promise<HostState> {
  const marker = `netkit-host-state-probe-${process.pid}-${++probes}`;
  const r = await onHost(host, ["sh", "-c", SCRIPT, "sh", marker]);
  assert.equal(r.exitCode, 0, `host state: ${r.stderr.toString()}`);
  for (let waited = 0; ; waited += 100) {
    const log = readFileSync(host.logPath, "latin1");
    const at = log.indexOf(marker);
    if (at >= 0) return { devices: r.stdout.toString(), connections: countConnections(log.slice(0, at)) };
    assert.ok(waited < 20_000, `marker ${marker} never reached the console log ${host.logPath}`);
    await sleep(100);
  }
}
