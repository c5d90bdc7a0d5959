import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { ensureDebianKernel, type KernelInfo, sshExec, startTestHosts, type TestHost, type TestHostSet } from "../../testhost";
import { DEBIAN_KERNELS, type DebianKernel } from "../../testhost/kernel";
import { scripts } from "../../testhost/paths";

// Debian's own kernels (testhost/kernel/debian.sh): one VM per flavour, all booting at
// once, each checked for the release it runs and for what netkit it has.

const log = (line: string) => process.stderr.write(`      [debian-kernels] ${line}\n`);
const flavours = Object.keys(DEBIAN_KERNELS) as DebianKernel[];

// Creates a netkit device with IFLA_NETKIT_PAIRING = SINGLE (1) and no peer info over raw
// rtnetlink and reports what appeared: "single" (just nkt1: single mode exists), "pair"
// (a kernel before single mode ignores the unknown attribute and adds a peer), or
// "error ERRNO"; deletes what it made and prints what was left behind (nothing, normally).
const SINGLE_MODE_PY = String.raw`
import socket, struct, os
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL = 1, 4, 0x400, 0x200
RTM_NEWLINK, RTM_DELLINK = 16, 17
IFLA_IFNAME, IFLA_LINKINFO, IFLA_INFO_KIND, IFLA_INFO_DATA = 3, 18, 1, 2
IFLA_NETKIT_PAIRING, NETKIT_DEVICE_SINGLE = 10, 1
def attr(t, data):
    l = 4 + len(data)
    return struct.pack("HH", l, t) + data + b"\0" * ((4 - l % 4) % 4)
def ifinfo():
    return struct.pack("BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)
def request(msgtype, flags, body):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, 0))
    s.send(struct.pack("IHHII", 16 + len(body), msgtype, flags | NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body)
    reply = s.recv(65536)
    s.close()
    err = struct.unpack_from("i", reply, 16)[0]
    if err:
        raise OSError(-err, os.strerror(-err))
links = lambda: set(os.listdir("/sys/class/net"))
before = links()
data = attr(IFLA_NETKIT_PAIRING, struct.pack("I", NETKIT_DEVICE_SINGLE))
linkinfo = attr(IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"netkit\0") + attr(IFLA_INFO_DATA | 0x8000, data))
try:
    request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfo() + attr(IFLA_IFNAME, b"nkt1\0") + linkinfo)
except OSError as e:
    print("error", e.errno)
    raise SystemExit(0)
added = sorted(links() - before)
request(RTM_DELLINK, 0, ifinfo() + attr(IFLA_IFNAME, b"nkt1\0"))
print("single" if added == ["nkt1"] else "pair", " ".join(added), "left:", " ".join(sorted(links() - before)))
`;

async function run(h: TestHost, command: string, label = `'${command}'`) {
  const r = await sshExec(h, command);
  return { ...r, all: `${label} on ${h.name} exited ${r.code}:\n${r.stdout}${r.stderr}` };
}

describe("testhost: Debian kernels", function () {
  const kernels = new Map<DebianKernel, KernelInfo>();
  const sets = new Map<DebianKernel, TestHostSet>();

  it("kernel/debian.sh --list names the flavours kernel.ts lists, with the same netkit flag", () => {
    const r = spawnSync("bash", [scripts.debianKernel(), "--list"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const listed = r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    assert.deepEqual(
      listed,
      flavours.map((f) => [f, DEBIAN_KERNELS[f].netkit ? "yes" : "no"]),
    );
  });

  describe("one VM per flavour, booted at once", function () {
    before(async function () {
      this.timeout(30 * 60_000); // cold fetches on a fresh machine, then four TCG boots on two cores
      const t0 = Date.now();
      // Fetch first, one at a time per suite anyway (debian.sh locks the suite's apt state).
      for (const f of flavours) kernels.set(f, await ensureDebianKernel(f, { log }));
      log(`kernels ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // Four generic kernels probing hardware under TCG share two cores: allow for that.
      const envTimeout = Number(process.env.NETKIT_VM_BOOT_TIMEOUT_MS);
      const bootTimeoutMs = Math.max(envTimeout > 0 ? envTimeout : 0, 420_000);
      const results = await Promise.allSettled(
        flavours.map(async (f) => {
          const set = await startTestHosts(1, { kernel: { debian: f }, name: `dk${process.pid}-${f.replace(/[^a-z0-9]/g, "")}`, bootTimeoutMs, log });
          sets.set(f, set);
          log(`${f}: SSH ready after ${(set.hosts[0]!.bootMs / 1000).toFixed(1)} s (${flavours.length} booting at once)`);
        }),
      );
      const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${flavours[i]}: ${(r.reason as Error).message}`] : []));
      if (failed.length > 0) throw new Error(`${failed.length} Debian kernel VM(s) failed to boot:\n${failed.join("\n\n")}`);
    });

    after(async function () {
      this.timeout(120_000);
      await Promise.all([...sets.values()].map((s) => s.stop()));
    });

    afterEach(function () {
      const f = this.currentTest?.title.split(":")[0] as DebianKernel;
      const h = sets.get(f)?.hosts[0];
      if (this.currentTest?.state === "failed" && h && fs.existsSync(h.logPath)) {
        log(`${f} console log tail:\n${fs.readFileSync(h.logPath, "utf8").trimEnd().split("\n").slice(-30).join("\n")}`);
      }
    });

    this.timeout(120_000);

    for (const f of flavours) {
      const { netkit, singleMode } = DEBIAN_KERNELS[f];
      const host = () => {
        const set = sets.get(f);
        assert.ok(set, `${f} did not boot`);
        return set.hosts[0]!;
      };

      it(`${f}: runs the cached kernel (uname -r = its release file)`, async () => {
        const k = kernels.get(f)!;
        assert.match(k.release, /-amd64$/);
        const r = await run(host(), "uname -r");
        assert.equal(r.code, 0, r.all);
        assert.equal(r.stdout.trim(), k.release);
        assert.equal(host().kernelRelease, k.release);
      });

      it(`${f}: \`ip link add nkt0 type netkit\` ${netkit ? "creates a pair (deleted again)" : "fails: no netkit in this kernel"}`, async () => {
        const add = await run(host(), "ip link add nkt0 type netkit");
        if (!netkit) {
          assert.notEqual(add.code, 0, `netkit was created on a kernel without it:\n${add.all}`);
          assert.match(add.stderr, /Unknown device type|not supported/i, add.all);
          return;
        }
        assert.equal(add.code, 0, add.all);
        const shown = await run(host(), "ip -d -o link show nkt0");
        assert.equal(shown.code, 0, shown.all);
        assert.match(shown.stdout, /\bnetkit\b/, shown.all);
        // The peer (default name nk<N>) goes with the primary.
        const del = await run(host(), "ip link del nkt0 && ! ip -o link show | grep -E ': (nkt0|nk[0-9]+)[@:]' && echo gone");
        assert.equal(del.code, 0, del.all);
        assert.equal(del.stdout.trim(), "gone", del.all);
      });

      it(`${f}: netkit single mode (IFLA_NETKIT_PAIRING) ${singleMode ? "exists" : netkit ? "does not exist (a pair appears)" : "cannot be asked for"}`, async () => {
        const r = await run(host(), `python3 - <<'EOF'\n${SINGLE_MODE_PY}\nEOF`, "the single-mode probe (python3)");
        assert.equal(r.code, 0, r.all);
        const out = r.stdout.trim();
        if (!netkit)
          assert.match(out, /^error 95$/, r.all); // EOPNOTSUPP: "Unknown device type"
        else if (singleMode) assert.equal(out, "single nkt1 left:", r.all);
        else assert.match(out, /^pair nk\d+ nkt1 left:$/, r.all);
      });
    }
  });
});
