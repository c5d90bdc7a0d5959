// The committed artefacts derived from the specs, rendered byte for byte.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allSpecs } from "./registry";
import { packageSchema } from "./schema";

function packageVersion(): string {
  // dist/provider/spec → package root
  return (JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8")) as { version: string }).version;
}

export function renderSchema(): string {
  return JSON.stringify(packageSchema(allSpecs, packageVersion()), null, 2) + "\n";
}
