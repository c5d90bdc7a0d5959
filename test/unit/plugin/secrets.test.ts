// The provider plugin's secret handling (provider/plugin/secrets.ts): engine-wrapped secrets
// are revealed for the controllers and the spec's secret fields (and any the caller made
// secret) go back wrapped.
import assert from "node:assert/strict";
import { conceal, revealAll, secretFields } from "../../../provider/plugin/secrets";
import { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";

const SIG = "4dabf18193072939515e22adb298388d";
const secret = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });

describe("unit: plugin secrets", () => {
  it("reveals nested secrets and remembers which top-level keys carried one", () => {
    const r = revealAll({ name: "nk0", connection: { host: "h", privateKey: secret("KEY") }, mtu: secret(1400) });
    assert.deepEqual(r.plain, { name: "nk0", connection: { host: "h", privateKey: "KEY" }, mtu: 1400 });
    assert.deepEqual(r.secretKeys.sort(), ["connection", "mtu"]);
  });

  it("conceals the spec's secret fields whole, and the caller's secret keys; absent stays absent", () => {
    assert.deepEqual(secretFields(netkitPairDefinition), ["connection"]);
    const out = conceal({ name: "nk0", connection: { host: "h" }, mtu: 1400 }, ["connection", "mtu"]);
    assert.deepEqual(out, { name: "nk0", connection: secret({ host: "h" }), mtu: secret(1400) });
    assert.deepEqual(conceal({ name: "nk0" }, ["connection"]), { name: "nk0" });
    assert.deepEqual(conceal(out, ["connection"]).connection, secret({ host: "h" }), "never wrapped twice");
  });
});
