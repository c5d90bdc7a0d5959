// Workloads that go through the real Pulumi engine: an inline program on a file backend
// (harness/pulumi.ts, the same setup as the lifecycle tests), up / refresh / destroy,
// each checked for the outcome it must have, so a fast run that did nothing cannot pass.
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { join } from "node:path";
import { inlineStack, type TestStack } from "../harness/pulumi";
import type { Instance, Phase } from "./workloads/workload";

export interface EngineOptions {
  /** Extra environment for every `pulumi` run (and so for the plugins it starts). */
  env?: Record<string, string>;
  /** Variants of refresh that set environment for the provider processes. */
  refreshVariants?: Array<{ phase: Phase; env: Record<string, string> }>;
  /** Stack config, set before the first operation (as `pulumi config set [--secret]` does). */
  config?: Record<string, { value: string; secret?: boolean }>;
}

/** The output of a failed operation, so that its error says what the engine said. */
function tailOf(out: string): string {
  return out
    .split("\n")
    .filter((l) => l.trim())
    .slice(-25)
    .join("\n");
}

export async function engineInstance(project: string, n: number, program: PulumiFn, opts: EngineOptions = {}): Promise<Instance> {
  const t: TestStack = await inlineStack(project, program);
  for (const [k, v] of Object.entries(opts.env ?? {})) t.stack.workspace.envVars[k] = v;
  if (opts.config) await t.stack.setAllConfig(opts.config);
  let out = "";
  const onOutput = (s: string) => (out += s);
  const guarded = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    out = "";
    try {
      return await op();
    } catch (e) {
      throw new Error(`${project}: pulumi ${what} failed: ${(e as Error).message.split("\n")[0]}\n${tailOf(out)}`, { cause: e });
    }
  };
  const expect = (what: string, ok: boolean, detail: unknown) => {
    if (!ok) throw new Error(`${project}: pulumi ${what} did not do what it must: ${JSON.stringify(detail)}\n${tailOf(out)}`);
  };
  const refresh = (phase: Phase, env: Record<string, string>) => ({
    phase,
    run: async () => {
      const saved = { ...t.stack.workspace.envVars };
      Object.assign(t.stack.workspace.envVars, env);
      try {
        const r = await guarded(phase, () => t.stack.refresh({ color: "never", onOutput }));
        const c = r.summary.resourceChanges ?? {};
        // Nothing drifted: a refresh that updates or drops resources measured something else.
        const total = Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
        expect(phase, c.update === undefined && c.delete === undefined && total === n + 1, c);
      } finally {
        t.stack.workspace.envVars = saved;
      }
    },
  });
  return {
    stateDir: join(t.workDir, "state"),
    phases: [
      {
        phase: "up",
        run: async () => {
          const r = await guarded("up", () => t.stack.up({ color: "never", onOutput }));
          expect("up", r.summary.resourceChanges?.create === n + 1, r.summary.resourceChanges);
        },
      },
      {
        phase: "preview",
        run: async () => {
          // A no-change preview: every resource checked and diffed, none read from the host.
          const r = await guarded("preview", () => t.stack.preview({ color: "never", onOutput, expectNoChanges: true }));
          expect("preview", (r.changeSummary.same ?? 0) === n + 1, r.changeSummary);
        },
      },
      refresh("refresh", {}),
      ...(opts.refreshVariants ?? []).map((v) => refresh(v.phase, v.env)),
      {
        phase: "destroy",
        run: async () => {
          const r = await guarded("destroy", () => t.stack.destroy({ color: "never", onOutput }));
          expect("destroy", r.summary.resourceChanges?.delete === n + 1, r.summary.resourceChanges);
        },
      },
    ],
    dispose: async () => {
      // After a failure, leave nothing behind on the host for the next workload either.
      await t.stack.destroy({ color: "never" }).catch(() => undefined);
      t.cleanup();
    },
  };
}
