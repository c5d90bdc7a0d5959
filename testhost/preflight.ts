import * as fs from "fs";
import * as path from "path";
import { TestHostError } from "./errors";

/** Host programs a test host needs, and the Debian package of each. */
const NEEDED: Array<{ what: string; pkg: string; find: () => boolean }> = [
  { what: "qemu-system-x86_64", pkg: "qemu-system-x86", find: () => onPath("qemu-system-x86_64") },
  { what: "setpriv", pkg: "util-linux", find: () => onPath("setpriv") },
  { what: "ssh-keygen", pkg: "openssh-client", find: () => onPath("ssh-keygen") },
  // The guest runs the host's own sshd and busybox through the 9p root.
  { what: "/usr/sbin/sshd", pkg: "openssh-server", find: () => fs.existsSync("/usr/sbin/sshd") },
  { what: "/bin/busybox", pkg: "busybox-static", find: () => fs.existsSync("/bin/busybox") },
];

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((d) => d && fs.existsSync(path.join(d, cmd)));
}

/** Fails with one message naming every missing program and its Debian package. */
export function checkHostPrograms(): void {
  const missing = NEEDED.filter((n) => !n.find());
  if (missing.length === 0) return;
  const list = missing.map((m) => `${m.what} (Debian package ${m.pkg})`).join(", ");
  const pkgs = [...new Set(missing.map((m) => m.pkg))].join(" ");
  throw new TestHostError(`test hosts need ${list}: apt-get install ${pkgs}`);
}
