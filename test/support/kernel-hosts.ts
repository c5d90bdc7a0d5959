// Test hosts on Debian's own packaged kernels (testhost/kernel/debian.sh), each booted once
// per run when a test first asks for it (a generic kernel takes ~20 s to SSH under emulation)
// and stopped by the global teardown in hooks.ts. Each has the shared host's second NIC, eth1
// (virtio-net with RSS, shared-host.ts's RSS_NIC), so that the NIC side is measured there too.
import { startTestHosts, type DebianKernel, type TestHost, type TestHostSet } from "../../testhost";
import { RSS_NIC } from "./shared-host";

const booted = new Map<DebianKernel, Promise<TestHostSet>>();

/** A test host running Debian's kernel `flavour`, shared by every test that asks. */
export async function debianHost(flavour: DebianKernel): Promise<TestHost> {
  let set = booted.get(flavour);
  if (!set) {
    const t0 = Date.now();
    set = startTestHosts(1, { name: flavour, kernel: { debian: flavour }, rssNic: RSS_NIC });
    booted.set(flavour, set);
    set.then(
      (s) => console.log(`      [test host] Debian ${flavour}: Linux ${s.hosts[0]!.kernelRelease}, SSH ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`),
      () => booted.delete(flavour),
    );
  }
  return (await set).hosts[0]!;
}

export async function stopDebianHosts(): Promise<void> {
  const sets = [...booted.values()];
  booted.clear();
  await Promise.all(sets.map(async (s) => (await s.catch(() => undefined))?.stop()));
}
