// Two gaps of @pulumi/pulumi/provider's gRPC server (3.259) that the plugin needs closed:
//   - Configure is answered by the server itself; the provider never sees its configuration
//     (the default connection). The request's args are handed to `onConfigure` first.
//   - Read of an import carries no properties, and the server dereferences them; an empty
//     property bag is filled in.
// Both are applied to the service implementation as main() registers it with gRPC, on the
// grpc-js copy @pulumi/pulumi itself loads.
import { dirname } from "node:path";

type Struct = { toJavaScript(): Record<string, unknown> };
type Call = { request: { getArgs?(): Struct | undefined; getProperties?(): Struct | undefined; setProperties?(s: Struct): void } };
type Callback = (err: Error | null, value?: unknown) => void;
type Handler = (call: Call, cb: Callback) => unknown;
type Service = Record<string, Handler | undefined>;

export function adaptProviderServer(onConfigure: (args: Record<string, unknown>) => void): void {
  const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copies @pulumi/pulumi itself loads, from its tree
  const load = <T>(m: string) => require(require.resolve(m, { paths: [pulumiDir] })) as T;
  const grpc = load<{ Server: { prototype: { addService: (this: unknown, service: unknown, impl: Service) => unknown } } }>("@grpc/grpc-js");
  const { Struct } = load<{ Struct: { fromJavaScript(o: object): Struct } }>("google-protobuf/google/protobuf/struct_pb");
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
      wrap("configure", (call) => onConfigure(call.request.getArgs?.()?.toJavaScript() ?? {}));
      wrap("read", (call) => {
        if (!call.request.getProperties?.()) call.request.setProperties?.(Struct.fromJavaScript({}));
      });
    }
    return addService.call(this, service, impl);
  };
}
