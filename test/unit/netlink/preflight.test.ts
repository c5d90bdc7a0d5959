import assert from "node:assert/strict";
import { classifyProbe } from "../../../provider/host/preflight";

describe("unit: capability probe", () => {
  it("no netkit: the kernel does not know the kind", () => {
    assert.deepEqual(classifyProbe({ errno: 95, message: "Unknown device type" }), { netkit: false, known: false });
  });
  it("netkit without the attribute: the kernel ignores it and refuses the read-only PRIMARY", () => {
    assert.deepEqual(classifyProbe({ errno: 22, message: "Primary attribute is read-only", offset: 60 }), { netkit: true, known: false });
  });
  it("netkit with a range-checked attribute: the attribute itself is refused as out of range", () => {
    assert.deepEqual(classifyProbe({ errno: 34, message: "integer out of range", offset: 52 }), { netkit: true, known: true });
  });
  it("netkit with a u16 attribute: one byte fails its policy", () => {
    assert.deepEqual(classifyProbe({ errno: 22, message: "Attribute failed policy validation", offset: 52 }), { netkit: true, known: true });
  });
  it("no answer is no capability", () => {
    assert.deepEqual(classifyProbe(undefined), { netkit: false, known: false });
  });
});
