// The provider object a dynamic resource stores in state (Pulumi serializes it by value).
// It captures two strings and loads the implementation by package name inside the provider
// process, so no code, live handle or secret is frozen into state, the stored provider
// does not change between releases (no spurious diffs), and delete/refresh use the
// installed version's fixes.
import type * as pulumi from "@pulumi/pulumi";

export function providerShim(modulePath: string, exportName: string): pulumi.dynamic.ResourceProvider {
  // `require` is resolved by the provider process from the program's node_modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- by package name, at run time, in the provider process
  const impl = (): pulumi.dynamic.ResourceProvider => (require(modulePath) as Record<string, pulumi.dynamic.ResourceProvider>)[exportName]!;
  return {
    configure: async (req) => impl().configure?.(req),
    check: (olds, news) => impl().check!(olds, news),
    diff: (id, olds, news) => impl().diff!(id, olds, news),
    create: (inputs) => impl().create(inputs),
    read: (id, props) => impl().read!(id, props),
    update: (id, olds, news) => impl().update!(id, olds, news),
    delete: (id, props) => impl().delete!(id, props),
  };
}
