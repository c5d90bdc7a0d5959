// The Python and Go SDKs (sdk/python, sdk/go), generated from schema.json by sdkgen
// (scripts/toolchain/sdkgen/, built and cached by scripts/toolchain/sdkgen.sh): `npm run gen`
// writes them, the unit tier's drift test compares them with a fresh generation.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";

/** The generated languages, each a directory under sdk/. */
export const SDK_LANGUAGES = ["python", "go"] as const;

/** Exit status of sdkgen.sh when there is no `go` to build the generator with. */
const NO_GO = 3;

/**
 * The generator's path: NETKIT_SDKGEN (exported by scripts/provision.sh), else what
 * sdkgen.sh prints (a cache hit, or a build). Undefined when there is no Go to build it with.
 */
export function sdkgenBinary(root: string): string | undefined {
  if (process.env.NETKIT_SDKGEN) return process.env.NETKIT_SDKGEN;
  const r = spawnSync("bash", [join(root, "scripts", "toolchain", "sdkgen.sh")], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status === NO_GO) return undefined;
  if (r.status !== 0) throw new Error(`scripts/toolchain/sdkgen.sh failed (exit ${r.status ?? r.signal})`);
  return r.stdout.trim();
}

/** Writes OUT/python and OUT/go from the schema file, each replacing what was there. */
export function generateSdks(sdkgen: string, schemaFile: string, out: string): void {
  execFileSync(sdkgen, ["-schema", schemaFile, "-out", out, "-languages", SDK_LANGUAGES.join(",")], { stdio: ["ignore", "inherit", "inherit"] });
}
