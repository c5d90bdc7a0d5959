// The provider plugin from a Pulumi YAML program, through the real CLI and the YAML language
// host (scripts/toolchain/yaml.sh), on the test-host VM: a program that creates a pair, and
// `pulumi import` of a pair made by hand, after which the declaring program previews with
// no changes. The plugin is named in Pulumi.yaml (`plugins.providers`), as README shows.
import assert from "node:assert/strict";
import { yamlProject } from "../../harness/yaml";
import { netkitIp } from "../support/plugin";
import { onHost, sharedHost } from "../support/shared-host";
import { linkNames, sysfs } from "../support/netkit";
import type { TestHost } from "../../testhost";

describe("lifecycle: a Pulumi YAML program with the provider plugin", function () {
  let host: TestHost;
  const ns = "nky-pod";
  before(async function () {
    host = await sharedHost();
    await onHost(host, ["ip", "netns", "add", ns]);
  });
  after(async function () {
    await onHost(host, ["ip", "netns", "del", ns]);
  });

  it("creates a pair (peer in a netns), previews no changes after, destroys it", async function () {
    const p = await yamlProject(
      "yaml-pair",
      host,
      `resources:\n  pod:\n    type: netkit:index:NetkitPair\n    properties:\n      name: nky0\n      peerName: eth0\n      peerNetns: ${ns}\n      mtu: 9000\noutputs:\n  ifindex: \${pod.ifindex}\n`,
    );
    try {
      await p.pulumi("up", "--yes");
      assert.equal((await sysfs(host, "nky0"))?.mtu, "9000");
      assert.ok(await sysfs(host, "eth0", ns), "the peer is in the netns");
      assert.equal((await p.pulumi("stack", "output", "ifindex")).trim(), (await sysfs(host, "nky0"))?.ifindex);
      await p.pulumi("preview", "--expect-no-changes");
      const state = await p.pulumi("stack", "export");
      assert.ok(!state.includes(host.privateKey.split("\n")[1]!), "no plaintext key in state");
      await p.pulumi("destroy", "--yes");
      assert.equal(await sysfs(host, "nky0"), undefined);
    } finally {
      await p.pulumi("destroy", "--yes").catch(() => undefined);
      p.cleanup();
    }
  });

  it("pulumi import adopts a pair made by hand; the program declaring it previews with no changes", async function () {
    const made = await onHost(host, [await netkitIp(host), "link", "add", "nky-imp0", "type", "netkit", "mode", "l2", "peer", "name", "imp1", "netns", ns]);
    assert.equal(made.exitCode, 0, made.stderr.toString());
    // Up, as the operator left them (a program declaring it leaves `up` at its default, true).
    await onHost(host, ["ip", "link", "set", "nky-imp0", "up"]);
    await onHost(host, ["ip", "-n", ns, "link", "set", "imp1", "up"]);
    const before = await linkNames(host);
    const p = await yamlProject(
      "yaml-import",
      host,
      `resources:\n  adopted:\n    type: netkit:index:NetkitPair\n    properties:\n      name: nky-imp0\n      peerName: imp1\n      peerNetns: ${ns}\n      mode: l2\n`,
    );
    try {
      const out = await p.pulumi("import", "netkit:index:NetkitPair", "adopted", `${host.host}:${host.port}/nky-imp0`, "--yes", "--generate-code=false", "--protect=false");
      assert.match(out, /1 imported/);
      assert.deepEqual(await linkNames(host), before, "import changes nothing on the host");
      await p.pulumi("preview", "--expect-no-changes");
      await p.pulumi("destroy", "--yes");
      assert.equal(await sysfs(host, "nky-imp0"), undefined, "destroy deletes the adopted pair");
    } finally {
      await onHost(host, ["ip", "link", "del", "nky-imp0"]);
      p.cleanup();
    }
  });
});
