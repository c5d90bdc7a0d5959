// The provider plugin as `pulumi plugin install resource netkit VERSION --file ARCHIVE` installs
// it: pulumi-resource-netkit-vVERSION-linux-{amd64,arm64}.tar.gz, each holding the package as
// `npm pack` ships it, its production dependencies and @pulumi/pulumi (the release the package
// is tested with, from the lockfile), and at the top the executable the engine runs by name,
// pulumi-resource-netkit. The engine executes that file directly (no PulumiPlugin.yaml, which
// would make it ask a language host to run the plugin and npm-install it at install time).
// The plugin is JavaScript on the user's Node (22 or later): no native code, so both
// architectures get the same files under the names the engine looks for.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PLUGIN_ARCHS = ["amd64", "arm64"] as const;

export const archiveName = (version: string, arch: string) => `pulumi-resource-netkit-v${version}-linux-${arch}.tar.gz`;

/** The node flags both launchers (this archive's and the package's bin/pulumi-resource-netkit) start the plugin with: see bin/pulumi-resource-netkit. */
export const PLUGIN_NODE_FLAGS = "--max-semi-space-size=2 --optimize-for-size";

// Checks the Node it finds before starting the plugin: @pulumi/pulumi needs 22 or later, and
// an older Node would fail with a syntax error that names none of this.
const LAUNCHER = `#!/bin/sh
# The netkit provider plugin as the Pulumi engine runs it (pulumi plugin install): this
# package's JavaScript, with the node on PATH (Node.js 22 or later).
set -eu
here="$(dirname "$(readlink -f "$0")")"
if ! major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)"; then
  echo "pulumi-resource-netkit: needs Node.js 22 or later on PATH, and finds no node" >&2; exit 1
fi
if [ "$major" -lt 22 ]; then
  echo "pulumi-resource-netkit: needs Node.js 22 or later on PATH, and finds $(node -v)" >&2; exit 1
fi
exec node ${PLUGIN_NODE_FLAGS} "$here/dist/provider/plugin/main.js" "$@"
`;

interface Manifest {
  version: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  scripts?: unknown;
}

/**
 * Both archives, from the tarball `npm pack` made (`tgz`) and the repository's lockfile, into
 * `outDir`; returns their paths by architecture.
 */
export function buildPluginArchives(tgz: string, lockfile: string, outDir: string): Record<(typeof PLUGIN_ARCHS)[number], string> {
  const work = mkdtempSync(join(tmpdir(), "netkit-plugin-"));
  try {
    const root = join(work, "root");
    mkdirSync(root);
    execFileSync("tar", ["-xzf", tgz, "-C", root, "--strip-components=1"]);
    // The plugin's own install: the package's dependencies plus @pulumi/pulumi (a peer of the
    // package, a dependency of the plugin) at the release the lockfile holds.
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as Manifest;
    const sdk = manifest.devDependencies?.["@pulumi/pulumi"];
    if (!sdk) throw new Error("package.json has no @pulumi/pulumi devDependency: the release the plugin runs on");
    const install: Manifest = { ...manifest, dependencies: { ...manifest.dependencies, "@pulumi/pulumi": sdk } };
    delete install.devDependencies;
    delete install.peerDependencies;
    delete install.scripts;
    writeFileSync(join(root, "package.json"), JSON.stringify(install, null, 2) + "\n");
    writeFileSync(join(root, "package-lock.json"), readFileSync(lockfile));
    // Optional dependencies are native speed-ups (ssh2's cpu-features), install scripts build
    // native code: neither, so the files suit every architecture.
    execFileSync("npm", ["install", "--omit=dev", "--omit=optional", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    });
    rmSync(join(root, "package-lock.json"));
    writeFileSync(join(root, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
    writeFileSync(join(root, "pulumi-resource-netkit"), LAUNCHER);
    chmodSync(join(root, "pulumi-resource-netkit"), 0o755);
    mkdirSync(outDir, { recursive: true });
    const files = readdirSync(root).sort();
    // One archive, copied under each architecture's name: the files are the same.
    const [first, ...rest] = PLUGIN_ARCHS;
    const out = { [first]: join(outDir, archiveName(manifest.version, first)) } as Record<(typeof PLUGIN_ARCHS)[number], string>;
    execFileSync("tar", ["-czf", out[first], "--owner=0", "--group=0", "--sort=name", "-C", root, ...files]);
    for (const arch of rest) {
      out[arch] = join(outDir, archiveName(manifest.version, arch));
      copyFileSync(out[first], out[arch]);
    }
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
