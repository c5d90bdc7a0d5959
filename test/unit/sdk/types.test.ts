// The SDK's public types: sdk/types.ts is what the definitions render (npm run gen), equals
// the types zod infers from them (checked by the compiler: this file does not build
// otherwise), and what the package ships in dist/sdk/*.d.ts reaches neither zod nor the
// provider's modules, so a user's program type-checks without them.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { z } from "zod";
import { renderSdkTypeFile, repoRoot } from "../../../provider/artefacts";
import { SDK_TYPES_FILE } from "../../../provider/definition/sdk-types";
import type { netkitPairDefinition } from "../../../provider/resources/netkit-pair/definition";
import type { netkitSingleDefinition } from "../../../provider/resources/netkit-single/definition";
import type { rxqBindingDefinition } from "../../../provider/resources/rxq-binding/definition";
import type { NetkitPairInputs, NetkitPairOutputs, NetkitSingleInputs, NetkitSingleOutputs, RxqBindingInputs, RxqBindingOutputs } from "../../../sdk/types";

/** true only when A and B are the same type (not merely assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type In<D extends { inputs: z.ZodType }> = z.input<D["inputs"]>;
type Out<D extends { inputs: z.ZodType; outputs: z.ZodType }> = z.output<D["inputs"]> & z.output<D["outputs"]>;
/** Flattens an intersection into one object type, so that Same compares members. */
type Flat<T> = { [K in keyof T]: T[K] };

const same: [
  Same<Flat<NetkitPairInputs>, Flat<In<typeof netkitPairDefinition>>>,
  Same<Flat<NetkitPairOutputs>, Flat<Out<typeof netkitPairDefinition>>>,
  Same<Flat<NetkitSingleInputs>, Flat<In<typeof netkitSingleDefinition>>>,
  Same<Flat<NetkitSingleOutputs>, Flat<Out<typeof netkitSingleDefinition>>>,
  Same<Flat<RxqBindingInputs>, Flat<In<typeof rxqBindingDefinition>>>,
  Same<Flat<RxqBindingOutputs>, Flat<Out<typeof rxqBindingDefinition>>>,
] = [true, true, true, true, true, true];

describe("unit: the SDK's public types", () => {
  it(`${SDK_TYPES_FILE} is what the definitions render (run \`npm run gen\`), and equals zod's inferred types`, () => {
    assert.equal(readFileSync(join(repoRoot, SDK_TYPES_FILE), "utf8"), renderSdkTypeFile());
    assert.deepEqual(same, [true, true, true, true, true, true]);
  });

  it("the SDK's declarations import only each other and @pulumi/pulumi (never zod, never the provider's modules)", () => {
    const dir = join(repoRoot, "dist", "sdk");
    const files = readdirSync(dir).filter((f) => f.endsWith(".d.ts"));
    assert.ok(files.includes("index.d.ts"), "dist/sdk is built");
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) assert.ok(spec!.startsWith("./") || spec === "@pulumi/pulumi", `dist/sdk/${f} imports ${spec}`);
    }
  });
});
