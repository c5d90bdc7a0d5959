// What a test host does when qemu exits before SSH comes up (testhost/vm.ts, afterFailedBoot):
// a guest kernel that crashed gets one more boot, a port qemu could not bind gets another
// port, anything else fails the boot. The console excerpt is a real one: Debian's 6.12 under
// TCG, four VMs booting at once, a double fault with EFLAGS no CPU could hold.
import assert from "node:assert/strict";
import { afterFailedBoot } from "../../../testhost/vm";

const crashed = `[    1.850000] Mount-cache hash table entries: 8192 (order: 4, 65536 bytes, linear)
[    1.900528] Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI
[    1.900528] CPU: 0 UID: 0 PID: 0 Comm: swapper/0 Not tainted 6.12.117+deb13-amd64 #1  Debian 6.12.117-1
[    1.900528] RSP: 0000:ffffffffb6e03db0 EFLAGS: 8103aa42
[    1.900528] Kernel panic - not syncing: Fatal exception in interrupt
`;
const booted = `[    0.000000] Linux version 7.2.13-netkit
netkit-init: booted 7.2.13-netkit in 2.9 s; starting sshd
`;

describe("unit: testhost boots again after a guest kernel crash, once", () => {
  it("a crash in the console: boot again, naming the crash", () => {
    assert.deepEqual(afterFailedBoot({ console: crashed, exit: "exit status 0", attempt: 1, crashes: 0 }), {
      kind: "crashed",
      crash: "Oops: double fault: 0000 [#1] PREEMPT SMP NOPTI",
    });
  });

  it("a second crash fails the boot", () => {
    assert.deepEqual(afterFailedBoot({ console: crashed, exit: "exit status 0", attempt: 2, crashes: 1 }), { kind: "fail" });
  });

  it("qemu that could not bind its port: another port, up to the last attempt", () => {
    const exit = "exit status 1; qemu said: Could not set up host forwarding rule 'tcp:127.0.0.1:40000-:22'";
    assert.deepEqual(afterFailedBoot({ console: "", exit, attempt: 1, crashes: 0 }), { kind: "port" });
    assert.deepEqual(afterFailedBoot({ console: "", exit, attempt: 3, crashes: 0 }), { kind: "fail" });
  });

  it("a panic without an oops (the guest's init exited) fails the boot at once: it would on every boot", () => {
    const initExited = `netkit-init: /lib/modules has no netdevsim.ko
[    3.100000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100
`;
    assert.deepEqual(afterFailedBoot({ console: initExited, exit: "exit status 0", attempt: 1, crashes: 0 }), { kind: "fail" });
  });

  it("any other exit fails the boot at once", () => {
    assert.deepEqual(afterFailedBoot({ console: booted, exit: "exit status 0", attempt: 1, crashes: 0 }), { kind: "fail" });
    assert.deepEqual(afterFailedBoot({ console: "", exit: "killed by SIGKILL", attempt: 1, crashes: 0 }), { kind: "fail" });
  });
});
