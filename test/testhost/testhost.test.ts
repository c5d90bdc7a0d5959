import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureKernel, fingerprint, type KernelInfo, sshExec, startTestHosts, type TestHost, type TestHostSet } from "../../testhost";
import { portIsOpen } from "../../testhost/ports";
import { requestedAccel } from "../../testhost/accel";
import { qemuArgs } from "../../testhost/qemu";

const log = (line: string) => process.stderr.write(`      [testhost] ${line}\n`);

/** Runs a command on the host; fails the test with its output when it exits non-zero. */
async function sh(h: TestHost, command: string): Promise<string> {
  const r = await sshExec(h, command);
  assert.equal(r.code, 0, `'${command}' on ${h.name} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** pids of processes whose command line contains `marker`. */
function pidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

async function until(what: string, ms: number, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Creates a netkit pair with a raw RTM_NEWLINK (bookworm's iproute2 6.1 does
// not know netkit), checks both ends exist, deletes the primary and checks
// both are gone. Prints "ok" on success; raises with the errno otherwise.
const NETKIT_PAIR_PY = String.raw`
import socket, struct, os
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL = 1, 4, 0x400, 0x200
RTM_NEWLINK, RTM_DELLINK = 16, 17
IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND, IFLA_INFO_DATA = 3, 18, 1, 2
IFLA_NETKIT_PEER_INFO = 1
def attr(t, data):
    l = 4 + len(data)
    return struct.pack("HH", l, t) + data + b"\0" * ((4 - l % 4) % 4)
def ifinfo(index=0):
    return struct.pack("BxHiII", socket.AF_UNSPEC, 0, index, 0, 0)
def request(msgtype, flags, body):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, 0))
    s.send(struct.pack("IHHII", 16 + len(body), msgtype, flags | NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body)
    reply = s.recv(65536)
    s.close()
    err = struct.unpack_from("i", reply, 16)[0]
    if err:
        raise OSError(-err, os.strerror(-err))
peer = attr(IFLA_NETKIT_PEER_INFO, ifinfo() + attr(IFLA_IFNAME, b"nkt-peer\0"))
linkinfo = attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"netkit\0") + attr(IFLA_INFO_DATA | 0x8000, peer))
request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfo() + attr(IFLA_IFNAME, b"nkt-prim\0") + linkinfo)
names = os.listdir("/sys/class/net")
assert "nkt-prim" in names and "nkt-peer" in names, names
request(RTM_DELLINK, 0, ifinfo() + attr(IFLA_IFNAME, b"nkt-prim\0"))
names = os.listdir("/sys/class/net")
assert "nkt-prim" not in names and "nkt-peer" not in names, names
print("ok")
`;

describe("testhost: qemu command line", () => {
  const spec = {
    name: "t-0",
    kernel: "/k/bzImage",
    initrd: "/k/initrd",
    memoryMiB: 256,
    sshPort: 2222,
    configDir: "/tmp/run,1/share",
    consoleLog: "/tmp/c.log",
    qmpSocket: "/tmp/q.sock",
  };

  it("lists TCG as the fallback for KVM, and TCG alone when KVM is not used", () => {
    const auto = qemuArgs({ ...spec, engine: "kvm" }).join(" ");
    assert.match(auto, /-accel kvm -accel tcg/);
    const tcg = qemuArgs({ ...spec, engine: "tcg" }).join(" ");
    assert.match(tcg, /-accel tcg/);
    assert.doesNotMatch(tcg, /kvm/);
  });

  it("forwards only loopback to the guest's sshd and isolates the guest", () => {
    const args = qemuArgs({ ...spec, engine: "tcg" });
    const netdev = args[args.indexOf("-netdev") + 1];
    assert.equal(netdev, "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22");
  });

  it("shares the host root read-only and escapes commas in paths", () => {
    const args = qemuArgs({ ...spec, engine: "tcg" }).join(" ");
    assert.match(args, /local,id=hostroot,path=\/,security_model=none,readonly=on/);
    assert.match(args, /path=\/tmp\/run,,1\/share,security_model=none,readonly=on/);
  });

  it("honours NETKIT_VM_ACCEL and rejects nonsense", () => {
    const saved = process.env.NETKIT_VM_ACCEL;
    try {
      process.env.NETKIT_VM_ACCEL = "tcg";
      assert.equal(requestedAccel("auto"), "tcg");
      process.env.NETKIT_VM_ACCEL = "kvm-please";
      assert.throws(() => requestedAccel(), /NETKIT_VM_ACCEL/);
      delete process.env.NETKIT_VM_ACCEL;
      assert.equal(requestedAccel(), "auto");
    } finally {
      if (saved === undefined) delete process.env.NETKIT_VM_ACCEL;
      else process.env.NETKIT_VM_ACCEL = saved;
    }
  });
});

describe("testhost: a booted VM", function () {
  let kernel: KernelInfo;
  let set: TestHostSet | undefined;
  let host: TestHost;

  before(async function () {
    this.timeout(45 * 60_000); // a cold kernel build on a fresh machine
    kernel = await ensureKernel({ log });
    const started = Date.now();
    set = await startTestHosts(1, { log, name: `tht${process.pid}` });
    host = set.hosts[0]!;
    log(`booted in ${((Date.now() - started) / 1000).toFixed(1)} s (${requestedAccel()})`);
  });

  after(async function () {
    this.timeout(60_000);
    await set?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed" && host && fs.existsSync(host.logPath)) {
      const lines = fs.readFileSync(host.logPath, "utf8").trimEnd().split("\n").slice(-30).join("\n");
      log(`console log tail:\n${lines}`);
    }
  });

  this.timeout(60_000);

  it("runs the 7.2 kernel we built", async () => {
    assert.match(kernel.release, /^7\.2\.\d+-netkit$/);
    assert.equal(host.kernelRelease, kernel.release);
    assert.equal((await sh(host, "uname -r")).trim(), kernel.release);
  });

  it("has netkit and netdevsim built in, no modules", async () => {
    const config = await sh(host, "zcat /proc/config.gz");
    for (const opt of ["CONFIG_NETKIT=y", "CONFIG_NETDEVSIM=y", "CONFIG_XDP_SOCKETS=y", "CONFIG_NET_NS=y"]) {
      assert.ok(config.split("\n").includes(opt), `${opt} missing from the guest's /proc/config.gz`);
    }
    assert.ok(config.includes("# CONFIG_MODULES is not set"));
  });

  it("creates and deletes a netkit pair over rtnetlink (python3)", async () => {
    const out = await sh(host, `python3 - <<'EOF'\n${NETKIT_PAIR_PY}\nEOF`);
    assert.equal(out.trim(), "ok");
  });

  it("can create a netdevsim device through /sys/bus/netdevsim", async () => {
    await sh(host, "test -w /sys/bus/netdevsim/new_device");
    const out = await sh(
      host,
      "echo '7 1 4' > /sys/bus/netdevsim/new_device && ls /sys/bus/netdevsim/devices/netdevsim7/net/ && " +
        "echo 7 > /sys/bus/netdevsim/del_device && test ! -e /sys/bus/netdevsim/devices/netdevsim7 && echo gone",
    );
    assert.match(out, /^eni7np1$|^eth\d+$/m, `no netdev for netdevsim7 in:\n${out}`);
    assert.match(out, /^gone$/m);
  });

  it("supports `ip netns add` (shared mount propagation on /)", async () => {
    const out = await sh(host, "ip netns add nkt && ip netns exec nkt ip -o link show lo && ip netns del nkt && ip netns list | grep -c nkt || true");
    assert.match(out, /\blo\b/);
    assert.match(out.trim(), /0$/);
  });

  it("reports the host key fingerprint as ssh-keygen -lf does", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nkt-fp-"));
    try {
      fs.writeFileSync(path.join(tmp, "k.pub"), `${host.hostKey}\n`);
      const out = spawnSync("ssh-keygen", ["-lf", path.join(tmp, "k.pub")], { encoding: "utf8" });
      assert.equal(out.status, 0, out.stderr);
      assert.equal(out.stdout.split(" ")[1], host.hostKeyFingerprint);
      assert.equal(fingerprint(host.hostKey), host.hostKeyFingerprint);
      assert.equal(host.knownHostsLine, `[127.0.0.1]:${host.port} ${host.hostKey}`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("enforces the pinned host key (OpenSSH client and sshExec)", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nkt-kh-"));
    try {
      const sshTo = (knownHosts: string) => {
        const file = path.join(tmp, "known_hosts");
        fs.writeFileSync(file, `${knownHosts}\n`);
        return spawnSync(
          "ssh",
          [
            "-i",
            host.privateKeyPath,
            "-p",
            String(host.port),
            "-o",
            `UserKnownHostsFile=${file}`,
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=30",
            `root@${host.host}`,
            "echo pinned-ok",
          ],
          { encoding: "utf8", timeout: 60_000 },
        );
      };
      const good = sshTo(host.knownHostsLine);
      assert.equal(good.status, 0, good.stderr);
      assert.equal(good.stdout.trim(), "pinned-ok");

      const otherKey = path.join(tmp, "other");
      spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
      const wrongLine = `[127.0.0.1]:${host.port} ${fs.readFileSync(`${otherKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ")}`;
      const bad = sshTo(wrongLine);
      assert.notEqual(bad.status, 0, "ssh accepted a host key that does not match known_hosts");
      assert.match(bad.stderr, /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);

      const wrongHostKey = wrongLine.split(" ").slice(1).join(" ");
      await assert.rejects(sshExec({ ...host, hostKey: wrongHostKey }, "true"), (err: Error & { level?: string }) => {
        assert.equal(err.level, "host-key");
        return true;
      });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("stop() kills qemu, closes the port, removes the keys, and is idempotent", async () => {
    const marker = host.logPath; // unique to this VM, on qemu's command line
    assert.ok(pidsWith(marker).length > 0, "no qemu process found for the running host");
    assert.ok(await portIsOpen(host.port));
    await set!.stop();
    await set!.stop();
    await host.stop();
    assert.deepEqual(pidsWith(marker), []);
    assert.equal(await portIsOpen(host.port), false);
    assert.equal(fs.existsSync(host.privateKeyPath), false);
  });
});

describe("testhost: several VMs", function () {
  this.timeout(240_000);

  it("boots hosts in parallel, each with its own port, host key and name", async () => {
    const set = await startTestHosts(2, { log, name: `thp${process.pid}` });
    try {
      const [a, b] = [set.hosts[0]!, set.hosts[1]!];
      assert.notEqual(a.port, b.port);
      assert.notEqual(a.hostKey, b.hostKey);
      assert.notEqual(a.privateKey, b.privateKey);
      for (const h of set.hosts) assert.equal((await sh(h, "hostname")).trim(), h.name);
    } finally {
      await set.stop();
    }
    for (const h of set.hosts) assert.equal(await portIsOpen(h.port), false);
  });
});

describe("testhost: no orphans", function () {
  this.timeout(120_000);

  it("qemu dies when the node process that started it is SIGKILLed", async () => {
    const name = `orphan${process.pid}`;
    // A separate node process boots a host; we kill it with SIGKILL as soon
    // as its qemu exists (no exit handler can run): the parent-death signal
    // must take qemu down anyway.
    const script = `require(${JSON.stringify(path.resolve(__dirname, "../../testhost"))}).startTestHosts(1, { name: ${JSON.stringify(name)} }).catch(() => {});`;
    const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
    let runDir: string | undefined;
    try {
      const isQemu = (p: number) => p !== child.pid && fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("qemu-system");
      await until("the child's qemu to start", 60_000, () => pidsWith(`${name}-0`).some(isQemu));
      const qemuPids = pidsWith(`${name}-0`).filter(isQemu);
      // The killed child cannot clean up its temp dir (with keys): we do.
      const share = /path=([^\0]*?)\/share,/.exec(fs.readFileSync(`/proc/${qemuPids[0]}/cmdline`, "utf8"));
      runDir = share ? path.dirname(share[1]!) : undefined; // RUNDIR/NAME/share
      child.kill("SIGKILL");
      await until("qemu to die with its parent", 10_000, () => qemuPids.every((p) => !fs.existsSync(`/proc/${p}`)));
    } finally {
      child.kill("SIGKILL");
      if (runDir?.includes("netkit-testhost-")) fs.rmSync(runDir, { recursive: true, force: true });
    }
  });
});
