// The one @pulumi/pulumi install the host speaks gRPC through, and what it loads from there.
// It is looked up beside this file first (the repository's node_modules, or those of a
// directory this compiled file was copied into), then from the program directory the engine
// starts us in. grpc-js and google-protobuf are loaded from that same tree on purpose: the
// generated messages check `instanceof` against their own google-protobuf copy, so a copy
// resolved from here instead would fail at (de)serialization the day the trees differ.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

function locate(): string {
  try {
    return require.resolve("@pulumi/pulumi/package.json", { paths: [__dirname, process.cwd()] });
  } catch {
    process.stderr.write(`pulumi-language-nodejs: cannot find @pulumi/pulumi from ${__dirname} or ${process.cwd()}; run npm install\n`);
    process.exit(1);
  }
}
const pkgJson = locate();

/** The directory of the @pulumi/pulumi in use. */
export const pulumiDir = dirname(pkgJson);

/** Its version: always semver, which is what GetPluginInfo must answer. */
export const sdkVersion = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version: string }).version;

// eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved from the @pulumi/pulumi in use (found at run time), not from this file's tree
const fromTree = <T>(m: string): T => require(require.resolve(m, { paths: [pulumiDir] })) as T;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the generated code of the @pulumi/pulumi in use (found at run time)
const proto = <T>(file: string): T => require(join(pulumiDir, "proto", file)) as T;

export const grpc = fromTree<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");
export const emptypb = fromTree<typeof import("google-protobuf/google/protobuf/empty_pb")>("google-protobuf/google/protobuf/empty_pb");
export const langrpc = proto<typeof import("@pulumi/pulumi/proto/language_grpc_pb")>("language_grpc_pb");
export const lang = proto<typeof import("@pulumi/pulumi/proto/language_pb")>("language_pb");
export const pluginpb = proto<typeof import("@pulumi/pulumi/proto/plugin_pb")>("plugin_pb");
