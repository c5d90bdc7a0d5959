// `npm run pack:plugin`: `npm pack` of the package, then the provider plugin's archives made
// from it (scripts/plugin-archive.ts) in dist/plugin/, as a release publishes them:
//   pulumi plugin install resource netkit VERSION --file dist/plugin/pulumi-resource-netkit-vVERSION-linux-amd64.tar.gz
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../provider/artefacts";
import { buildPluginArchives } from "./plugin-archive";

const packed = mkdtempSync(join(tmpdir(), "netkit-pack-"));
try {
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", packed], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] })
    .toString()
    .trim()
    .split("\n")
    .pop()!;
  const archives = buildPluginArchives(join(packed, name), join(repoRoot, "package-lock.json"), join(repoRoot, "dist", "plugin"));
  for (const file of Object.values(archives)) console.log(file);
} finally {
  rmSync(packed, { recursive: true, force: true });
}
