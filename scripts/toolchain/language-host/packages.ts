// What a program depends on, read from its directory: the Pulumi plugins its node_modules
// bring (GetRequiredPackages) and its package.json dependencies (GetProgramDependencies).
// Both are best effort and never throw: a failing GetRequiredPackages fails `pulumi up`.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/** A resource plugin a package declares with `"pulumi": { "resource": true, … }` in its package.json. */
export interface PulumiPackage {
  name: string;
  /** "v"-prefixed semver, or absent when the package's version isn't semver. */
  version?: string;
  server?: string;
  parameterization?: { name: string; version: string; value: string };
}

const SEMVER = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null;

const readJson = (file: string): Json | undefined => {
  try {
    const v: unknown = JSON.parse(readFileSync(file, "utf8"));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
};

/** The plugin a package.json declares, if any. `@pulumi/x` packages default to plugin `x`. */
export function pulumiPackageOf(pkg: Json): PulumiPackage | undefined {
  const p = pkg.pulumi;
  if (!isObject(p) || p.resource !== true) return undefined;
  const name = typeof p.name === "string" && p.name ? p.name : typeof pkg.name === "string" && pkg.name.startsWith("@pulumi/") ? pkg.name.slice("@pulumi/".length) : "";
  if (!name) return undefined;
  const out: PulumiPackage = { name };
  const declared = p.version ?? pkg.version;
  const version = typeof declared === "string" ? declared : ""; // a version that is no string is no semver
  if (SEMVER.test(version)) out.version = version.startsWith("v") ? version : `v${version}`;
  if (typeof p.server === "string" && p.server) out.server = p.server;
  const pz = p.parameterization;
  if (isObject(pz) && typeof pz.name === "string" && typeof pz.version === "string" && typeof pz.value === "string") {
    out.parameterization = { name: pz.name, version: pz.version, value: pz.value };
  }
  return out;
}

/**
 * Every plugin declared by a package.json below a node_modules directory under `root`.
 * Symlinks are followed (npm links, workspaces) and each real directory is read once, so
 * links back up the tree (this repository's own `node_modules/pulumi-netkit -> ..`) end.
 * Directories of policy packs (PulumiPolicy.yaml) are not the program's and are skipped.
 */
export function findPulumiPackages(root: string): PulumiPackage[] {
  const found = new Map<string, PulumiPackage>();
  const seen = new Set<string>();
  const pending = [root];
  while (pending.length) {
    const dir = pending.pop()!;
    try {
      const real = realpathSync(dir);
      if (seen.has(real)) continue;
      seen.add(real);
      if (dir !== root && existsSync(join(dir, "PulumiPolicy.yaml"))) continue;
      const inNodeModules = relative(root, dir).split(sep).includes("node_modules");
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(path))) pending.push(path);
        else if (inNodeModules && e.name === "package.json") {
          const pkg = readJson(path);
          const dep = pkg && pulumiPackageOf(pkg);
          if (dep) found.set(`${dep.name}@${dep.version ?? ""}`, dep);
        }
      }
    } catch {
      // unreadable or vanished: skip it, as the upstream host does (it only logs)
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || (a.version ?? "").localeCompare(b.version ?? ""));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // dangling link
  }
}

/**
 * The program's package.json dependencies (runtime and dev) with the version installed where
 * Node would find it from `dir`, else the declared range. Direct dependencies only.
 */
export function programDependencies(dir: string): { name: string; version: string }[] {
  const pkg = readJson(join(dir, "package.json"));
  if (!pkg) return [];
  const declared: Record<string, unknown> = { ...(isObject(pkg.devDependencies) ? pkg.devDependencies : {}), ...(isObject(pkg.dependencies) ? pkg.dependencies : {}) };
  return Object.entries(declared)
    .map(([name, range]) => ({ name, version: installedVersion(dir, name) ?? String(range) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function installedVersion(from: string, name: string): string | undefined {
  for (let d = from; ; d = dirname(d)) {
    const v = readJson(join(d, "node_modules", name, "package.json"))?.version;
    if (typeof v === "string") return v;
    if (dirname(d) === d) return undefined;
  }
}
