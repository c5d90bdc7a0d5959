// The real provider plugin's resource logic: the package's three resources dispatched by type
// token to the same controllers the dynamic provider runs. All this adds is the wire: the
// type from the URN, secrets revealed and concealed (secrets.ts), config from Configure.
import type * as plugin from "@pulumi/pulumi/provider";
import { connectionDefaultsFrom, settingsFrom } from "../config";
import { FailedToInitializeError, NetkitError } from "../errors";
import * as controllers from "../index";
import { resources } from "../resources/registry";
import { setConnectionDefaults, setProviderSettings } from "../runtime";
import { PACKAGE } from "../definition/schema";
import type { ResourceDefinition } from "../definition/resource";
import { conceal, revealAll, secretFields } from "./secrets";
import type { DetailedDiff } from "./server-adapter";
import type { StateDiff } from "../definition/diff";
import { plannedOutputs, type Controller as ResourceController } from "../resources/definition-driven";
import { URN_KEY } from "../resources/leases/claims";

type Controller = ResourceController<Record<string, unknown>, Record<string, unknown>>;
interface Entry {
  definition: ResourceDefinition;
  controller: Controller;
  secrets: string[];
}

const entries = new Map<string, Entry>(
  resources.map((r) => [
    `${PACKAGE}:index:${r.definition.name}`,
    { definition: r.definition, controller: controllers[r.controller] as unknown as Controller, secrets: secretFields(r.definition) },
  ]),
);

/** urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME → TYPE. */
function entryOf(urn: string): Entry {
  const type = (urn.split("::")[2] ?? "").split("$").pop()!;
  const e = entries.get(type);
  if (!e) throw new NetkitError(`unknown resource type ${type}; this provider serves ${[...entries.keys()].join(", ")}`);
  return e;
}

/** Properties for a controller: the URN rides along as `__urn` (resources/leases/claims.ts), as the SDK sends it. */
function withUrn(props: Record<string, unknown>, urn: string): Record<string, unknown> {
  return { ...props, [URN_KEY]: urn };
}

/** What goes back to the engine: the URN is the engine's own, never stored twice. */
function withoutUrn<T extends Record<string, unknown> | undefined>(props: T): T {
  if (!props || !(URN_KEY in props)) return props;
  const { [URN_KEY]: _urn, ...rest } = props;
  return rest as T;
}

/** The provider's config (the default connection); values may be secrets. */
export function configure(args: Record<string, unknown>): void {
  const { plain } = revealAll(args);
  setConnectionDefaults(connectionDefaultsFrom((k) => plain[k]));
  setProviderSettings(settingsFrom((k) => plain[k]));
}

/** The controller's diff, with the fields it found changed (server-adapter.ts sends them as the detailed diff). */
async function detailedDiff(id: string, urn: string, olds: unknown, news: unknown): Promise<DetailedDiff> {
  const o = revealAll(olds).plain;
  const n = revealAll(news).plain;
  const r = (await entryOf(urn).controller.diff!(id, o, n)) as StateDiff;
  return {
    changes: r.changes,
    replaces: r.replaces ?? [],
    deleteBeforeReplace: r.deleteBeforeReplace ?? false,
    changed: r.changed.map((key) => ({ key, before: o[key] !== undefined, after: n[key] !== undefined })),
  };
}

/**
 * What an update will report, for the engine's preview of it (the plugin declares preview
 * support, so the engine asks instead of taking the new inputs for the outputs, which would
 * make every output the inputs do not carry unknown: an ifindex, for a binding that takes it).
 * Nothing is asked of a host.
 */
function previewUpdate(id: string, urn: string, olds: unknown, news: unknown): Record<string, unknown> {
  const e = entryOf(urn);
  const o = revealAll(olds);
  const n = revealAll(news);
  const outs = e.controller.previewUpdate ? e.controller.previewUpdate(id, o.plain, n.plain) : plannedOutputs(e.definition, o.plain, n.plain);
  return conceal(withoutUrn(outs), [...e.secrets, ...n.secretKeys]);
}

export function netkitPlugin(version: string, schema: string): plugin.Provider & { detailedDiff: typeof detailedDiff; previewUpdate: typeof previewUpdate } {
  return {
    version,
    schema,
    async check(urn, olds, news) {
      const e = entryOf(urn);
      const n = revealAll(news);
      const r = await e.controller.check!(revealAll(olds).plain, withUrn(n.plain, urn));
      return { inputs: conceal(withoutUrn(r.inputs), [...e.secrets, ...n.secretKeys]), failures: r.failures ?? [] };
    },
    async diff(id, urn, olds, news) {
      const { changed: _changed, ...r } = await detailedDiff(id, urn, olds, news);
      return r;
    },
    detailedDiff,
    previewUpdate,
    async create(urn, inputs) {
      const e = entryOf(urn);
      const i = revealAll(inputs);
      const keys = [...e.secrets, ...i.secretKeys];
      try {
        const r = await e.controller.create(withUrn(i.plain, urn));
        return { id: r.id, outs: conceal(withoutUrn(r.outs), keys) };
      } catch (err) {
        // A resource kept as failed-to-initialize goes to state with these properties.
        if (err instanceof FailedToInitializeError) err.properties = conceal(withoutUrn(err.properties as Record<string, unknown>), keys);
        throw err;
      }
    },
    async read(id, urn, props) {
      const e = entryOf(urn);
      const p = revealAll(props);
      // An import sends no properties: the controller adopts the device the id names.
      const r = await e.controller.read!(id, Object.keys(p.plain).length ? withUrn(p.plain, urn) : undefined);
      const keys = [...e.secrets, ...p.secretKeys];
      return { id: r.id ?? "", props: conceal(withoutUrn(r.props), keys), ...(r.inputs ? { inputs: conceal(withoutUrn(r.inputs), keys) } : {}) };
    },
    async update(id, urn, olds, news) {
      const e = entryOf(urn);
      const n = revealAll(news);
      const r = await e.controller.update!(id, revealAll(olds).plain, withUrn(n.plain, urn));
      return { outs: conceal(withoutUrn(r.outs), [...e.secrets, ...n.secretKeys]) };
    },
    async delete(id, urn, props) {
      await entryOf(urn).controller.delete!(id, withUrn(revealAll(props).plain, urn));
    },
  };
}
