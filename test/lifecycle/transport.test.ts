// The SSH transport under the real engine: 50 resources on one host share one SSH handshake
// (counted server-side, in sshd's log), credentials can come from stack config instead of
// resource inputs, secrets never reach the state at rest, `pulumi stack export` or our log
// lines, and the provider's debug lines reach Pulumi's log.
// (With `--debug`, @pulumi/pulumi itself logs raw registration payloads of the *program*,
// secret inputs included; with credentials in stack config the key is never such an input,
// which the second test proves over the complete debug output.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { NetkitPair } from "../../sdk";
import { exportedState, inlineStack, stateAtRest, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { linkNames } from "../support/netkit";
import type { TestHost } from "../../testhost";

const inLog = (h: TestHost, re: RegExp) => (readFileSync(h.logPath, "utf8").match(re) ?? []).length;
const handshakes = (h: TestHost) => inLog(h, /Accepted publickey/g);
/** Exec channels: one per relay run, i.e. per remote round trip. */
const execChannels = (h: TestHost) => inLog(h, /Starting session: command /g);

/** Every distinctive piece of the key: no line of it may appear anywhere. */
function keyLines(pem: string): string[] {
  return pem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
}

describe("lifecycle: SSH transport under the real engine", function () {
  let host: TestHost;
  let t: TestStack | undefined;
  const N = 50;

  before(async function () {
    host = await sharedHost();
  });
  afterEach(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    t = undefined;
  });

  it(`${N} pairs in one up use exactly one SSH handshake; a refresh of them one round trip; state and logs hold no secret`, async function () {
    const before = await linkNames(host);
    t = await inlineStack("netkit-fifty", async () => {
      for (let i = 0; i < N; i++) new NetkitPair(`p${i}`, { connection: connectionTo(host), name: `nkf${i}`, peerName: `nkf${i}p` });
    });
    let output = "";
    const h0 = handshakes(host);
    const r = await t.stack.up({ debug: true, onOutput: (s) => (output += s) });
    const used = handshakes(host) - h0;
    assert.equal(r.summary.resourceChanges?.create, N + 1);
    assert.equal(used, 1, `one handshake for ${N} resources, saw ${used}`);
    const names = await linkNames(host);
    for (let i = 0; i < N; i++) assert.ok(names.includes(`nkf${i}`) && names.includes(`nkf${i}p`), `nkf${i}`);

    // The provider's debug lines reached Pulumi's log, and none of ours carries a secret …
    assert.match(output, /netkit: preflight .*kernel 7\.\d+.*netkit yes, single mode yes/);
    const ours = output
      .split("\n")
      .filter((l) => l.includes("netkit: "))
      .join("\n");
    assert.ok(ours.length > 0);
    // … nor does the state at rest or as `pulumi stack export` shows it (ciphertext there).
    const atRest = stateAtRest(t);
    const exported = await exportedState(t);
    for (const line of keyLines(host.privateKey)) {
      assert.ok(!ours.includes(line), "private key material in the provider's log lines");
      assert.ok(!atRest.includes(line), "private key material in the state at rest");
      assert.ok(!exported.includes(line), "private key material in pulumi stack export");
    }
    assert.match(exported, /"connection": \{\s*"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",\s*"ciphertext":/);

    // A refresh reads every pair from one snapshot of the host's links: one relay run.
    const [h2, e2] = [handshakes(host), execChannels(host)];
    const refreshed = await t.stack.refresh();
    assert.equal(refreshed.summary.resourceChanges?.same, N + 1, "no drift");
    assert.deepEqual([handshakes(host) - h2, execChannels(host) - e2], [1, 1], "refresh: one handshake, one round trip");

    const h1 = handshakes(host);
    await t.stack.destroy();
    assert.equal(handshakes(host) - h1, 1, "destroy also uses one handshake");
    assert.deepEqual(await linkNames(host), before);
  });

  it("credentials from stack config (netkit:privateKey) keep them out of resource state entirely", async function () {
    const { privateKey: _k, ...noKey } = connectionTo(host);
    t = await inlineStack("netkit-config-creds", async () => {
      new NetkitPair("cfg", { connection: noKey, name: "nkcfg", peerName: "nkcfgp" });
    });
    await t.stack.setConfig("netkit:privateKey", { value: host.privateKey, secret: true });
    let output = "";
    await t.stack.up({ debug: true, onOutput: (s) => (output += s) });
    assert.ok((await linkNames(host)).includes("nkcfg"));
    const { resources } = (await t.stack.exportStack()).deployment as { resources: Array<{ type: string; inputs: { connection: { plaintext?: string } } }> };
    const pair = resources.find((x) => x.type.endsWith("NetkitPair"));
    assert.equal(pair!.inputs.connection.plaintext?.includes("privateKey") ?? false, false, "no key in the resource's inputs");
    const atRest = stateAtRest(t);
    const exported = await exportedState(t);
    for (const line of keyLines(host.privateKey)) {
      assert.ok(!output.includes(line), "private key material anywhere in the complete --debug output");
      assert.ok(!atRest.includes(line), "private key material in the state at rest");
      assert.ok(!exported.includes(line), "private key material in pulumi stack export");
    }
    await t.stack.destroy();
    assert.ok(!(await linkNames(host)).includes("nkcfg"));
  });

  it("without credentials anywhere, create fails naming what is missing and nothing changes", async function () {
    const { privateKey: _k, ...noKey } = connectionTo(host);
    const before = await linkNames(host);
    t = await inlineStack("netkit-no-creds", async () => {
      new NetkitPair("nocreds", { connection: noKey, name: "nknc", peerName: "nkncp" });
    });
    await assert.rejects(t.stack.up(), /authentication/i);
    assert.deepEqual(await linkNames(host), before);
    await onHost(host, ["true"]); // the host is still reachable for the next test
  });
});
