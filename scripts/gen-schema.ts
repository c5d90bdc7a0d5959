// Writes the artefacts derived from the resource definitions (`npm run gen`): schema.json,
// the reference pages in docs/reference/ (stale pages there are removed), the kernel table of
// docs/guides/host-requirements.md (from docs/kernel-matrix.json, which the kernel matrix test
// measures), the TypeScript SDK's types (sdk/types.ts), and the Python and Go SDKs generated from schema.json (sdk/python, sdk/go; their
// generator is built with Go, so without Go they are left as they are, and said so).
// test/unit/definition/schema.test.ts, reference.test.ts, sdk/types.test.ts and sdks.test.ts fail
// when any drifts.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REFERENCE_DIR } from "../provider/definition/docs";
import { KERNEL_TABLE_PAGE } from "../provider/definition/kernel-table";
import { SDK_TYPES_FILE } from "../provider/definition/sdk-types";
import { renderKernelTablePage, renderReferencePages, renderSchema, renderSdkTypeFile, repoRoot } from "../provider/artefacts";
import { generateSdks, sdkgenBinary, SDK_LANGUAGES } from "./sdks";

writeFileSync(join(repoRoot, "schema.json"), renderSchema());
const pages = renderReferencePages();
mkdirSync(join(repoRoot, REFERENCE_DIR), { recursive: true });
for (const f of readdirSync(join(repoRoot, REFERENCE_DIR))) if (f.endsWith(".md") && !(`${REFERENCE_DIR}/${f}` in pages)) rmSync(join(repoRoot, REFERENCE_DIR, f));
for (const [path, text] of Object.entries(pages)) {
  mkdirSync(dirname(join(repoRoot, path)), { recursive: true });
  writeFileSync(join(repoRoot, path), text);
}
writeFileSync(join(repoRoot, KERNEL_TABLE_PAGE), renderKernelTablePage());
writeFileSync(join(repoRoot, SDK_TYPES_FILE), renderSdkTypeFile());
console.log(`wrote schema.json, ${Object.keys(pages).join(", ")}, ${KERNEL_TABLE_PAGE} (its kernel table) and ${SDK_TYPES_FILE}`);

const sdkgen = sdkgenBinary(repoRoot);
if (sdkgen) {
  generateSdks(sdkgen, join(repoRoot, "schema.json"), join(repoRoot, "sdk"));
  console.log(`wrote ${SDK_LANGUAGES.map((l) => `sdk/${l}`).join(", ")} from schema.json`);
} else {
  console.warn(
    `NOT written: ${SDK_LANGUAGES.map((l) => `sdk/${l}`).join(", ")} (their generator is built with Go, and there is no \`go\` here): regenerate them where Go is, or the unit tier's SDK drift test fails there`,
  );
}
