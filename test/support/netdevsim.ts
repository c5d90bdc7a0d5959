// netdevsim NICs on a test host (drivers/net/netdevsim/bus.c): a simulated physical device
// with a parent on the netdevsim bus and queue management ops, so it can lend RX queues.
// `echo "ID PORTS QUEUES" > /sys/bus/netdevsim/new_device` makes one; its netdev appears
// (possibly from a workqueue) under /sys/bus/netdevsim/devices/netdevsimID/net/.
import assert from "node:assert/strict";
import type { TestHost } from "../../testhost";
import { onHost } from "./shared-host";

/** Creates a one-port netdevsim NIC with `queues` RX/TX queues, renamed to `name` and up; returns its ifindex. */
export async function addNetdevsim(host: TestHost, id: number, queues: number, name: string): Promise<number> {
  const script = [
    'echo "$1 1 $2" > /sys/bus/netdevsim/new_device || exit 1',
    "d=/sys/bus/netdevsim/devices/netdevsim$1/net",
    'i=0; while [ -z "$(ls $d 2>/dev/null)" ]; do i=$((i+1)); [ $i -gt 100 ] && exit 2; sleep 0.05; done',
    'old=$(ls $d); ip link set "$old" name "$3" && ip link set "$3" up && cat /sys/class/net/$3/ifindex',
  ].join("\n");
  const r = await onHost(host, ["sh", "-c", script, "sh", String(id), String(queues), name]);
  assert.equal(r.exitCode, 0, `netdevsim ${id}: ${r.stderr.toString()}`);
  return Number(r.stdout.toString().trim());
}

/** Removes a netdevsim device (its netdev is unregistered); a missing one is not an error. */
export async function removeNetdevsim(host: TestHost, id: number): Promise<void> {
  await onHost(host, ["sh", "-c", '[ -e /sys/bus/netdevsim/devices/netdevsim$1 ] && echo "$1" > /sys/bus/netdevsim/del_device; true', "sh", String(id)]);
}

/** The real RX queue count of a device, from sysfs (queues/rx-N): 1 + its leases for netkit. */
export async function rxQueueCount(host: TestHost, name: string, netns?: string): Promise<number | undefined> {
  const ls = ["sh", "-c", 'ls "/sys/class/net/$1/queues" 2>/dev/null | grep -c "^rx-" || true', "sh", name];
  const r = await onHost(host, netns ? ["ip", "netns", "exec", netns, ...ls] : ls);
  const n = Number(r.stdout.toString().trim());
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** `ip netns list-id` in a netns (or the host's): nsid → iproute2's name for it, if any. */
export async function netnsIds(host: TestHost, netns?: string): Promise<Map<number, string>> {
  const argv = netns ? ["ip", "netns", "exec", netns, "ip", "netns", "list-id"] : ["ip", "netns", "list-id"];
  const r = await onHost(host, argv);
  assert.equal(r.exitCode, 0, r.stderr.toString());
  const out = new Map<number, string>();
  for (const line of r.stdout.toString().split("\n")) {
    const m = /^nsid (\d+)\s*(?:\(iproute2 netns name: (\S+)\))?/.exec(line.trim());
    if (m) out.set(Number(m[1]), m[2] ?? "");
  }
  return out;
}
