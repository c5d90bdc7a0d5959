import assert from "node:assert/strict";
import { classifyProbe } from "../../../provider/host/preflight";

describe("unit: capability probe", () => {
  it("no netkit: the kernel does not know the kind", () => {
    assert.deepEqual(classifyProbe({ errno: 95, message: "Unknown device type" }), { netkit: false, netkitSingle: false });
  });
  it("netkit without single mode: PAIRING is ignored, the read-only PRIMARY is refused", () => {
    assert.deepEqual(classifyProbe({ errno: 22, message: "Primary attribute is read-only", offset: 60 }), { netkit: true, netkitSingle: false });
  });
  it("netkit with single mode: PAIRING itself is refused as out of range", () => {
    assert.deepEqual(classifyProbe({ errno: 34, message: "integer out of range", offset: 52 }), { netkit: true, netkitSingle: true });
  });
  it("no answer is no capability", () => {
    assert.deepEqual(classifyProbe(undefined), { netkit: false, netkitSingle: false });
  });
});
