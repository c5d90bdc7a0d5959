// Four gaps of @pulumi/pulumi/provider's gRPC server (3.259) that the plugin needs closed:
//   - Configure is answered by the server itself; the provider never sees its configuration
//     (the default connection). The request's args are handed to `onConfigure`, and the answer
//     declares preview support.
//   - Without preview support the engine previews an update by taking the new inputs for the
//     outputs, so every output the inputs do not carry (an ifindex) is unknown and whatever
//     takes it previews as changed. With it, the engine asks Create and Update with preview
//     set, which the server passes on as if it were a real create or update: a preview Create
//     answers with the inputs here (what the engine did itself), a preview Update with
//     `onPreviewUpdate`'s outputs; neither reaches a host.
//   - Read of an import carries no properties, and the server dereferences them; an empty
//     property bag is filled in.
//   - Diff answers without a detailed diff, so the engine shows every input that differs,
//     not what changes; `onDiff`'s answer is sent whole, detailed diff included.
// All are applied to the service implementation as main() registers it with gRPC, on the
// grpc-js copy @pulumi/pulumi itself loads.
import { dirname } from "node:path";
import type * as providerPb from "@pulumi/pulumi/proto/provider_pb";

/** A diff with the fields that changed: what the engine shows (detailed diff) and decides on. */
export interface DetailedDiff {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** Changed top-level fields, each with its old and new presence. */
  changed: Array<{ key: string; before: boolean; after: boolean }>;
}

export interface ServerHooks {
  onConfigure: (args: Record<string, unknown>) => void;
  onDiff: (id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>) => Promise<DetailedDiff>;
  /** The outputs an update will report, for a preview (no host is asked). */
  onPreviewUpdate: (id: string, urn: string, olds: Record<string, unknown>, news: Record<string, unknown>) => Record<string, unknown>;
}

type Struct = { toJavaScript(): Record<string, unknown> };
type Call = {
  request: {
    getArgs?(): Struct | undefined;
    getProperties?(): Struct | undefined;
    setProperties?(s: Struct): void;
    getId?(): string;
    getUrn?(): string;
    getOlds?(): Struct | undefined;
    getNews?(): Struct | undefined;
    getPreview?(): boolean;
  };
};
type Callback = (err: Error | null, value?: unknown) => void;
type Handler = (call: Call, cb: Callback) => unknown;
type Service = Record<string, Handler | undefined>;

export function adaptProviderServer({ onConfigure, onDiff, onPreviewUpdate }: ServerHooks): void {
  const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copies @pulumi/pulumi itself loads, from its tree
  const load = <T>(m: string) => require(require.resolve(m, { paths: [pulumiDir] })) as T;
  const grpc = load<{ Server: { prototype: { addService: (this: unknown, service: unknown, impl: Service) => unknown } } }>("@grpc/grpc-js");
  const { Struct } = load<{ Struct: { fromJavaScript(o: object): Struct } }>("google-protobuf/google/protobuf/struct_pb");
  const pb = load<typeof providerPb>("@pulumi/pulumi/proto/provider_pb");
  const Kind = pb.PropertyDiff.Kind;
  const kindOf = (c: DetailedDiff["changed"][number], replace: boolean) =>
    !c.before ? (replace ? Kind.ADD_REPLACE : Kind.ADD) : !c.after ? (replace ? Kind.DELETE_REPLACE : Kind.DELETE) : replace ? Kind.UPDATE_REPLACE : Kind.UPDATE;
  const diff: Handler = (call, cb) => {
    const r = call.request;
    onDiff(r.getId?.() ?? "", r.getUrn?.() ?? "", r.getOlds?.()?.toJavaScript() ?? {}, r.getNews?.()?.toJavaScript() ?? {}).then(
      (d) => {
        const resp = new pb.DiffResponse();
        resp.setChanges(d.changes ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE);
        resp.setReplacesList(d.replaces);
        resp.setDeletebeforereplace(d.deleteBeforeReplace);
        resp.setDiffsList(d.changed.map((c) => c.key));
        resp.setHasdetaileddiff(true);
        for (const c of d.changed) resp.getDetaileddiffMap().set(c.key, new pb.PropertyDiff().setKind(kindOf(c, d.replaces.includes(c.key))).setInputdiff(true));
        cb(null, resp);
      },
      (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
    );
  };
  const configure: Handler = (call, cb) => {
    try {
      onConfigure(call.request.getArgs?.()?.toJavaScript() ?? {});
    } catch (e) {
      cb(e as Error);
      return;
    }
    cb(null, new pb.ConfigureResponse().setAcceptsecrets(true).setAcceptresources(true).setAcceptoutputs(true).setSupportspreview(true));
  };
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, impl) {
    const wrap = (name: string, before: (call: Call) => void) => {
      const original = impl[name];
      if (!original) return;
      impl[name] = (call, cb) => {
        try {
          before(call);
        } catch (e) {
          cb(e as Error);
          return;
        }
        return original.call(impl, call, cb);
      };
    };
    if (impl && "checkConfig" in impl) {
      impl.configure = configure;
      wrap("read", (call) => {
        if (!call.request.getProperties?.()) call.request.setProperties?.(Struct.fromJavaScript({}));
      });
      impl.diff = diff;
      const create = impl.create;
      impl.create = (call, cb) => {
        if (!call.request.getPreview?.()) return create?.call(impl, call, cb);
        cb(null, new pb.CreateResponse().setProperties(call.request.getProperties?.() as never));
      };
      const update = impl.update;
      impl.update = (call, cb) => {
        const r = call.request;
        if (!r.getPreview?.()) return update?.call(impl, call, cb);
        try {
          const outs = onPreviewUpdate(r.getId?.() ?? "", r.getUrn?.() ?? "", r.getOlds?.()?.toJavaScript() ?? {}, r.getNews?.()?.toJavaScript() ?? {});
          cb(null, new pb.UpdateResponse().setProperties(Struct.fromJavaScript(outs) as never));
        } catch (e) {
          cb(e instanceof Error ? e : new Error(String(e)));
        }
      };
    }
    return addService.call(this, service, impl);
  };
}
