// One test-host VM shared by every kernel and lifecycle test in a run (booting costs
// seconds under emulation); torn down by the global teardown in hooks.ts.
import { readFileSync } from "node:fs";
import { startTestHosts, type TestHost, type TestHostSet } from "../../testhost";
import type { ConnectionInput } from "../../provider/connection";
import { SshSession, type ExecResult } from "../../provider/ssh/session";
import { silentLogger } from "../../provider/log";
import { connectionSchema } from "../../provider/connection";

let shared: Promise<TestHostSet> | undefined;

export async function sharedHost(): Promise<TestHost> {
  if (!shared) {
    const started = Date.now();
    // NETKIT_TEST_KERNEL boots another bzImage (e.g. one without netkit) instead of the cached build.
    const kernel = process.env.NETKIT_TEST_KERNEL;
    // eth1: virtio-net with RSS (testhost's rssNic), for the NIC side netdevsim lacks.
    shared = startTestHosts(1, { name: "shared", rssNic: RSS_NIC, ...(kernel ? { kernel } : {}) });
    const set = await shared;
    console.log(`      [test host] Linux ${set.hosts[0]!.kernelRelease} on qemu, SSH ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  return (await shared).hosts[0]!;
}

/** The test hosts' second NIC, eth1: virtio-net offering RSS with 4 queue pairs (shared and Debian hosts have it). */
export const RSS_NIC = { queues: 4 };
export const RSS_NIC_NAME = "eth1";

export async function stopSharedHosts(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await (await s).stop();
}

/** Connection inputs for a test host, with its host key pinned. */
export function connectionTo(h: TestHost): ConnectionInput {
  return { host: h.host, port: h.port, user: h.user, privateKey: h.privateKey, hostKey: h.knownHostsLine };
}

/** Runs argv on a test host over a fresh SSH session of the test itself (not the provider's). */
export async function onHost(h: TestHost, argv: string[], stdin?: Buffer): Promise<ExecResult> {
  const s = await SshSession.open(connectionSchema.parse(connectionTo(h)), silentLogger);
  try {
    return await s.exec(argv, stdin ? { stdin } : {});
  } finally {
    s.close();
  }
}

const uploaded = new Map<string, WeakMap<TestHost, Promise<string>>>();

/**
 * A tool from the machine's cache on a test host, copied once per host into the guest's /tmp
 * (its libraries are the guest's own; the guest's /root, where the cache is, is private).
 */
export function toolOnHost(h: TestHost, local: string, dest: string): Promise<string> {
  let perHost = uploaded.get(dest);
  if (!perHost) uploaded.set(dest, (perHost = new WeakMap()));
  let p = perHost.get(h);
  if (!p) {
    p = onHost(h, ["sh", "-c", `cat > ${dest} && chmod 0755 ${dest}`], readFileSync(local)).then((r) => {
      if (r.exitCode !== 0) throw new Error(`copying ${local} to the test host failed: ${r.stderr.toString()}`);
      return dest;
    });
    perHost.set(h, p);
  }
  return p;
}
