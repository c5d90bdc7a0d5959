import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TestHostError } from "./errors";

/** Cache root for kernels and initramfs images: $NETKIT_CACHE or ~/.cache/pulumi-netkit. */
export function cacheRoot(): string {
  return process.env.NETKIT_CACHE || path.join(os.homedir(), ".cache", "pulumi-netkit");
}

let found: string | undefined;

/**
 * The repository's testhost/ folder (scripts and guest files): $NETKIT_TESTHOST_DIR if set
 * (for a build outside the repository, e.g. `tsc --outDir /tmp/x`), else searched upwards
 * from this module, so it works from testhost/*.ts and dist/testhost/*.js alike.
 */
export function testhostDir(): string {
  if (found) return found;
  const fromEnv = process.env.NETKIT_TESTHOST_DIR;
  if (fromEnv) {
    const dir = path.resolve(fromEnv);
    if (!fs.existsSync(path.join(dir, "kernel", "build.sh"))) throw new TestHostError(`NETKIT_TESTHOST_DIR=${fromEnv} has no kernel/build.sh`);
    return (found = dir);
  }
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "testhost");
    if (fs.existsSync(path.join(candidate, "kernel", "build.sh"))) return (found = candidate);
    if (path.dirname(dir) === dir) break;
  }
  throw new TestHostError(`cannot find testhost/kernel/build.sh above ${__dirname}`);
}

export const scripts = {
  buildKernel: () => path.join(testhostDir(), "kernel", "build.sh"),
  debianKernel: () => path.join(testhostDir(), "kernel", "debian.sh"),
  mkInitramfs: () => path.join(testhostDir(), "guest", "mkinitramfs.sh"),
  guestInit: () => path.join(testhostDir(), "guest", "init.sh"),
};
