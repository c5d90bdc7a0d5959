// The committed artefacts rendered from the registered resources, byte for byte: schema.json,
// the reference pages (docs/reference/), the host-requirements guide's kernel table and the
// SDK's TypeScript types (sdk/types.ts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allDefinitions } from "./resources/registry";
import { providerConfigSchema } from "./config";
import { packageSchema } from "./definition/schema";
import { renderReferencePages as referencePages } from "./definition/docs";
import { KERNEL_TABLE_PAGE, withKernelTable, type KernelMatrix } from "./definition/kernel-table";
import { renderSdkTypes } from "./definition/sdk-types";

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

/** The host-requirements guide with its kernel table rendered from docs/kernel-matrix.json. */
export function renderKernelTablePage(): string {
  return withKernelTable(readFileSync(join(repoRoot, KERNEL_TABLE_PAGE), "utf8"), kernelMatrix(), allDefinitions);
}

/** sdk/types.ts: the SDK's public types, plain TypeScript. */
export function renderSdkTypeFile(): string {
  return renderSdkTypes(allDefinitions);
}
