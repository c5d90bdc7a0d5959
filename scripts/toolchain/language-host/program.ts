// The parts of the engine's ProgramInfo the host uses, with fallbacks for requests that lack it
// (older engines sent only `pwd` and `program`).
import type { ProgramInfo } from "@pulumi/pulumi/proto/language_pb";

export interface Program {
  /** The project root: where Pulumi.yaml is. */
  root: string;
  /** The program directory: `main` in Pulumi.yaml relative to the root, else the root. */
  dir: string;
  /** The entry point within `dir`; "." lets the SDK's runner use package.json's `main`. */
  entry: string;
  /** `runtime.options` from Pulumi.yaml (typescript, tsconfig, nodeargs, …). */
  options: Record<string, unknown>;
}

export function programOf(info: ProgramInfo | undefined, fallback: { pwd?: string; program?: string } = {}): Program {
  const dir = info?.getProgramDirectory() || fallback.pwd || process.cwd();
  return {
    root: info?.getRootDirectory() || dir,
    dir,
    entry: info?.getEntryPoint() || fallback.program || ".",
    options: info?.getOptions()?.toJavaScript() ?? {},
  };
}
