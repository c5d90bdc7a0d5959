// What differs between the runtimes this host serves (nodejs, python, go): how a program runs,
// how its dependencies are installed, and what it says about itself. The gRPC service
// (service.ts) is the same for all of them.
import type { RunRequest } from "@pulumi/pulumi/proto/language_pb";
import type { EngineArgs, RunOutcome, Sink } from "./child";
import type { PulumiPackage } from "./packages";
import type { Program } from "./program";

export interface About {
  executable: string;
  version: string;
  metadata: Record<string, string>;
}

export interface Language {
  /** The runtime name of Pulumi.yaml; the engine starts this host as pulumi-language-<name>. */
  name: string;
  run(req: RunRequest, engine: EngineArgs, signal?: AbortSignal): Promise<RunOutcome>;
  /** Best effort, never rejects: a failing GetRequiredPackages fails `pulumi up`. */
  requiredPackages(program: Program): Promise<PulumiPackage[]>;
  install(program: Program, write: Sink, signal?: AbortSignal): Promise<void>;
  about(program: Program): Promise<About>;
  /** Best effort, never rejects. */
  dependencies(program: Program): Promise<{ name: string; version: string }[]>;
}

/** A plugin named by a pulumi-plugin.json (the file the generated SDKs ship), if it names one. */
export function pluginOf(json: unknown): PulumiPackage | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const p = json as Record<string, unknown>;
  if (p.resource !== true || typeof p.name !== "string" || !p.name) return undefined;
  const out: PulumiPackage = { name: p.name };
  if (typeof p.version === "string" && /^v?\d+\.\d+\.\d+/.test(p.version)) out.version = p.version.startsWith("v") ? p.version : `v${p.version}`;
  if (typeof p.server === "string" && p.server) out.server = p.server;
  return out;
}
