// The provider a dynamic resource stores in state (`__provider`): the text of a module, which
// the engine's Node dynamic-provider host loads (require-from-string) and whose `handler()`
// returns the implementation. Ours names the implementation by package and export and requires
// the installed one inside the provider process, so no code, live handle or secret is in state,
// the stored text does not change between releases (no spurious diffs), and delete/refresh run
// the installed version's fixes.
//
// It is written here, not serialized from a closure as pulumi.dynamic.Resource does: the
// serializer costs tens of milliseconds of the program's CPU per resource, and its output
// (2.3 KB for an object of a few methods) is stored twice per resource, inputs and outputs, in
// a checkpoint the engine rewrites after every step. State written by releases that stored the
// serialized closure keeps working: that module requires the same package and export.

/** The module text of a provider that is `require(modulePath)[exportName]` in the provider process. */
export function providerModule(modulePath: string, exportName: string): string {
  // `require` resolves from the provider process's working directory, the program's.
  return `exports.handler = () => require(${JSON.stringify(modulePath)})[${JSON.stringify(exportName)}];\n`;
}

/** The type token the engine routes to the Node dynamic-provider host, as pulumi.dynamic.Resource names it. */
export function dynamicType(module: string, type: string): string {
  return `pulumi-nodejs:dynamic/${module}:${type}`;
}
