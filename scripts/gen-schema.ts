// Writes the artefacts derived from the resource specs (`npm run gen`): schema.json, README's
// field tables and its host-requirements table (from docs/kernel-matrix.json, which the kernel
// matrix test measures). test/unit/spec/schema.test.ts fails when any of them drifts.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderReadme, renderSchema, repoRoot } from "../provider/definition/render";

writeFileSync(join(repoRoot, "schema.json"), renderSchema());
writeFileSync(join(repoRoot, "README.md"), renderReadme());
console.log("wrote schema.json and README.md (field tables, host requirements)");
