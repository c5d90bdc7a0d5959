// The committed artefacts rendered from the registered resources, byte for byte: schema.json,
// the reference pages (docs/reference/) and README's host-requirements table.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allDefinitions } from "./resources/registry";
import { providerConfigSchema } from "./config";
import { packageSchema } from "./definition/schema";
import { renderReferencePages as referencePages } from "./definition/docs";
import { withKernelTable, type KernelMatrix } from "./definition/kernel-table";

export const repoRoot = join(__dirname, "..", "..");

export function packageVersion(): string {
  // dist/provider → package root
  return (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
}

export function renderSchema(): string {
  return JSON.stringify(packageSchema(allDefinitions, packageVersion(), providerConfigSchema), null, 2) + "\n";
}

/** The reference pages: path relative to the repository root → content. */
export function renderReferencePages(): Record<string, string> {
  return referencePages(allDefinitions, providerConfigSchema);
}

/** What the kernel matrix test measured (docs/kernel-matrix.json). */
export function kernelMatrix(): KernelMatrix {
  return JSON.parse(readFileSync(join(repoRoot, "docs", "kernel-matrix.json"), "utf8")) as KernelMatrix;
}

/** README with its host-requirements table rendered from docs/kernel-matrix.json. */
export function renderReadme(): string {
  return withKernelTable(readFileSync(join(repoRoot, "README.md"), "utf8"), kernelMatrix(), allDefinitions);
}
