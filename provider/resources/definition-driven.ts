// The parts of every controller that the spec alone decides: credentials from stack config,
// check and diff. Controllers spread this and add create/read/update/delete.
import { CONFIG_NAMESPACE, fromStackConfig, NO_CONNECTION, settingsFrom } from "../config";
import { connectionDefaults, setConnectionDefaults, setProviderSettings } from "../runtime";
import { checkInputs, type CheckResult } from "../definition/check";
import { diffState, type StateDiff } from "../definition/diff";
import { containsUnknown } from "../definition/check";
import type { ConnectionInput } from "../connection";
import { endpointFor, endpointOfId } from "./ids";
import { requireSameHost } from "./host-identity";
import type { InputsOf, ResourceDefinition } from "../definition/resource";
import { hostChecks, type HostCheckPlan } from "./host-checks";

/** `previewPlan`: what check asks the host about the change (host-checks.ts). */
export function definitionDriven<S extends ResourceDefinition>(spec: S, previewPlan?: HostCheckPlan<InputsOf<S>>) {
  return {
    configure: async (req: { config: { get(key: string): string | undefined } }) => {
      setConnectionDefaults(fromStackConfig(req.config));
      setProviderSettings(settingsFrom((k) => req.config.get(`${CONFIG_NAMESPACE}:${k}`)));
    },
    check: async (olds: unknown, news: unknown): Promise<CheckResult<InputsOf<S>>> => {
      const r = checkInputs(spec, news as Record<string, unknown>);
      // Without its own connection a resource needs a configured one, known before any host is contacted.
      if (!r.failures.length && (r.inputs as { connection?: unknown }).connection === undefined && connectionDefaults().host === undefined)
        r.failures.push({ property: "connection", reason: NO_CONNECTION });
      // Only inputs valid on their own are worth a host's time.
      if (!r.failures.length)
        r.failures.push(...(await hostChecks(spec, r.inputs as InputsOf<S> & { connection?: ConnectionInput }, olds as Partial<InputsOf<S>> | undefined, previewPlan)));
      return r;
    },
    /**
     * The definition's diff, and the host: a device lives on the endpoint its id names, so an
     * own connection that now reaches another host replaces it, and a configured one that does
     * refuses (hostMoved): never a silent re-target.
     */
    diff: async (id: string, olds: object, news: object): Promise<StateDiff> => {
      const d = diffState(spec, olds as Record<string, unknown>, news as Record<string, unknown>);
      const conn = (news as { connection?: ConnectionInput }).connection;
      if (!id || containsUnknown(conn)) return d;
      requireSameHost(spec.name, id, conn);
      const was = endpointOfId(id);
      const now = endpointFor(conn);
      if (was && now && now !== was && !d.replaces?.includes("connection"))
        return { ...d, changes: true, changed: [...new Set([...d.changed, "connection"])], replaces: [...(d.replaces ?? []), "connection"] };
      return d;
    },
  };
}

/** "kernel R created NAME with f got (asked w), …" for every asked value the kernel did not apply. */
export function mismatch(release: string, name: string, want: Array<[field: string, asked: unknown, got: unknown]>): string | undefined {
  const off = want.filter(([, w, got]) => w !== undefined && w !== got).map(([k, w, got]) => `${k} ${String(got)} (asked ${String(w)})`);
  return off.length ? `kernel ${release} created ${name} with ${off.join(", ")}` : undefined;
}
