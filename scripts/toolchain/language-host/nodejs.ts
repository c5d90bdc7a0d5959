// `runtime: nodejs`: programs run by @pulumi/pulumi's own runner (runner.ts), dependencies
// installed with npm (install.ts), plugins found in node_modules (packages.ts).
import { installDependencies } from "./install";
import type { Language } from "./language";
import { findPulumiPackages, programDependencies } from "./packages";
import { runProgram } from "./runner";

export const nodejs: Language = {
  name: "nodejs",
  run: runProgram,
  requiredPackages: (program) => Promise.resolve(findPulumiPackages(program.dir)),
  install: (program, write, signal) => installDependencies(program.dir, write, signal),
  about: () => Promise.resolve({ executable: process.execPath, version: process.version, metadata: { packagemanager: "npm" } }),
  dependencies: (program) => Promise.resolve(programDependencies(program.dir)),
};
