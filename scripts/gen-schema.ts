// Writes the artefacts derived from the resource definitions (`npm run gen`): schema.json,
// the reference pages in docs/reference/ (stale pages there are removed), and README's
// host-requirements table (from docs/kernel-matrix.json, which the kernel matrix test
// measures). test/unit/definition/schema.test.ts and reference.test.ts fail when any drifts.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REFERENCE_DIR } from "../provider/definition/docs";
import { renderReadme, renderReferencePages, renderSchema, repoRoot } from "../provider/artefacts";

writeFileSync(join(repoRoot, "schema.json"), renderSchema());
const pages = renderReferencePages();
mkdirSync(join(repoRoot, REFERENCE_DIR), { recursive: true });
for (const f of readdirSync(join(repoRoot, REFERENCE_DIR))) if (f.endsWith(".md") && !(`${REFERENCE_DIR}/${f}` in pages)) rmSync(join(repoRoot, REFERENCE_DIR, f));
for (const [path, text] of Object.entries(pages)) {
  mkdirSync(dirname(join(repoRoot, path)), { recursive: true });
  writeFileSync(join(repoRoot, path), text);
}
writeFileSync(join(repoRoot, "README.md"), renderReadme());
console.log(`wrote schema.json, ${Object.keys(pages).join(", ")} and README.md (host requirements)`);
