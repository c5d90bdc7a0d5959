// The configured default connection (provider/config.ts): parsing stack-config strings,
// naming the key of a bad value without its content, and what check says without one.
import assert from "node:assert/strict";
import { connectionDefaultsFrom, DEFAULT_SETTINGS, effectiveConnection, settingsFrom } from "../../../provider/config";
import { parseDeviceId } from "../../../provider/resources/ids";
import { netkitPairProvider } from "../../../provider/resources/netkit-pair/controller";
import { setConnectionDefaults, setProviderSettings } from "../../../provider/runtime";

describe("unit: provider configuration (default connection)", () => {
  // No host in this tier: check asks none (host checks are proven in test/ssh and test/lifecycle).
  beforeEach(() => setProviderSettings({ previewChecks: false }));
  afterEach(() => {
    setConnectionDefaults({});
    setProviderSettings(DEFAULT_SETTINGS);
  });

  it("reads netkit:previewChecks (default on) and names the key of a bad value", () => {
    assert.deepEqual(
      settingsFrom(() => undefined),
      { previewChecks: true },
    );
    assert.deepEqual(
      settingsFrom((k) => (k === "previewChecks" ? "false" : undefined)),
      { previewChecks: false },
    );
    assert.deepEqual(
      settingsFrom((k) => (k === "previewChecks" ? false : undefined)),
      { previewChecks: false },
      "typed, from a provider resource's inputs",
    );
    assert.throws(() => settingsFrom((k) => (k === "previewChecks" ? "no" : undefined)), /config netkit:previewChecks: .*boolean/);
  });

  it("reads stack-config strings as the fields' types", () => {
    const c = connectionDefaultsFrom((k) => ({ host: "10.0.0.5", port: "2222", insecureSkipHostKeyCheck: "false", sudo: '{"password":"pw"}', jumpHost: '{"host":"bastion"}' })[k]);
    assert.deepEqual(c, { host: "10.0.0.5", port: 2222, insecureSkipHostKeyCheck: false, sudo: { password: "pw" }, jumpHost: { host: "bastion" } });
  });

  it("names the config key of a bad value, never the value", () => {
    assert.throws(() => connectionDefaultsFrom((k) => (k === "port" ? "70000" : undefined)), /config netkit:port: .*65535/);
    assert.throws(
      () => connectionDefaultsFrom((k) => (k === "jumpHost" ? '{"host":"b","privateKey":"","x":"s3cr3t-value"}' : undefined)),
      (e: Error) => /config netkit:jumpHost/.test(e.message) && !e.message.includes("s3cr3t-value"),
    );
  });

  it("a resource's own connection takes only missing credentials from config; none uses config whole", () => {
    const defaults = { host: "cfg", port: 2200, privateKey: "KEY", hostKey: "SHA256:x" };
    assert.deepEqual(effectiveConnection({ host: "own" }, defaults), { host: "own", privateKey: "KEY" });
    assert.deepEqual(effectiveConnection({ host: "own", privateKey: "MINE" }, defaults), { host: "own", privateKey: "MINE" });
    assert.deepEqual(effectiveConnection(undefined, defaults), defaults);
    assert.equal(effectiveConnection(undefined, { privateKey: "KEY" }), undefined);
  });

  it("check: no connection and none configured fails on `connection`; configured passes", async () => {
    const inputs = { name: "nk0", peerName: "nk1" };
    const r = await netkitPairProvider.check!({} as never, inputs as never);
    assert.deepEqual(
      r.failures?.map((f) => f.property),
      ["connection"],
    );
    assert.match(r.failures[0]!.reason, /netkit:host/);
    setConnectionDefaults({ host: "10.0.0.5" });
    assert.deepEqual((await netkitPairProvider.check!({} as never, inputs as never)).failures, []);
  });

  it("import ids: HOST:PORT/NAME and HOST:PORT/NETNS/NAME, IPv6 hosts, netns paths", () => {
    assert.deepEqual(parseDeviceId("10.0.0.5:22/nk0"), { host: "10.0.0.5", port: 22, name: "nk0" });
    assert.deepEqual(parseDeviceId("::1:2222/pod1/nk0"), { host: "::1", port: 2222, name: "nk0", netns: "pod1" });
    assert.deepEqual(parseDeviceId("h:22//proc/1/ns/net/nk0"), { host: "h", port: 22, name: "nk0", netns: "/proc/1/ns/net" });
    for (const bad of ["nk0", "host/nk0", "host:x/nk0", "host:22/"]) assert.throws(() => parseDeviceId(bad), /import id .*HOST:PORT\/NAME/, bad);
  });

  it("import ids go through the rules a declared name and netns do", () => {
    for (const [bad, why] of [
      ["h:22/a-name-far-too-long-for-linux", /the device name .* must be at most 15 bytes/],
      ["h:22/nk%d", /the device name .* must not contain "%"/],
      ["h:22/../etc/nk0", /the netns "\.\.\/etc" must be a netns name/],
      ["h:22//tmp/../etc/nk0", /the netns .* without \. or \.\. components/],
    ] as const)
      assert.throws(() => parseDeviceId(bad), why, bad);
  });

  it("the host a device lives on (its id) decides: another own host replaces, a moved configured host refuses", async () => {
    setConnectionDefaults({ host: "a", privateKey: "KEY" });
    const base = { name: "nk0", peerName: "nk0p", mode: "l3", policy: "forward", peerPolicy: "forward", scrub: "default", peerScrub: "default", up: true, peerUp: true };
    const diff = (news: object) => netkitPairProvider.diff!("a:22/nk0", base as never, { ...base, ...news } as never);
    assert.equal((await diff({})).replaces?.length, 0, "the configured host still is the device's: no change");
    assert.deepEqual((await diff({ connection: { host: "b" } })).replaces, ["connection"], "an own connection to another host: replace");
    assert.deepEqual((await diff({ connection: { host: "a" } })).replaces, [], "an own connection to the same host: not a move");
    setConnectionDefaults({ host: "b", privateKey: "KEY" });
    await assert.rejects(diff({}), /NetkitPair a:22\/nk0 lives on a:22, but the configured connection \(netkit:host, netkit:port\) now points at b:22/);
  });
});
