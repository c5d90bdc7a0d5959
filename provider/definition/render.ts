// The committed artefacts derived from the specs, rendered byte for byte.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { allDefinitions } from "../resources/registry";
import { connectionSchema } from "../ssh/connection";
import { packageSchema } from "./schema";
import { withFieldTables } from "./docs";
import { withKernelTable, type KernelMatrix } from "./kernel-table";

export const repoRoot = join(__dirname, "..", "..", "..");

export function packageVersion(): string {
  // dist/provider/definition → package root
  return (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
}

export function renderSchema(): string {
  return JSON.stringify(packageSchema(allDefinitions, packageVersion(), connectionSchema), null, 2) + "\n";
}

/** What the kernel matrix test measured (docs/kernel-matrix.json). */
export function kernelMatrix(): KernelMatrix {
  return JSON.parse(readFileSync(join(repoRoot, "docs", "kernel-matrix.json"), "utf8")) as KernelMatrix;
}

export function renderReadme(): string {
  return withKernelTable(withFieldTables(readFileSync(join(repoRoot, "README.md"), "utf8"), allDefinitions), kernelMatrix(), allDefinitions);
}
