// Modules @pulumi/pulumi itself depends on (@grpc/grpc-js, google-protobuf), loaded from its
// tree: they are its dependencies, not this package's, and must be the very copies it loads,
// since its generated gRPC code checks `instanceof` against them (credentials, messages).
// Type them with `typeof import("…")`: a type costs nothing at run time.
import { dirname } from "node:path";

/** The directory of the @pulumi/pulumi this repository resolves. */
export const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));

/** `module` as @pulumi/pulumi's own code resolves it. */
export function fromPulumiTree<T>(module: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved from @pulumi/pulumi's tree, not ours: the copy its generated code checks instanceof against
  return require(require.resolve(module, { paths: [pulumiDir] })) as T;
}
