// What the SDK classes share: args and outputs typed from the generated plain types
// (sdk/types.ts, so that a program's type check never reaches zod or the provider), the type
// token and provider module the engine's Node dynamic-provider host runs them with, and the
// props that expose every input and output key, the connection secret.
//
// The classes extend pulumi.CustomResource directly, with the token pulumi.dynamic.Resource
// would give them, rather than pulumi.dynamic.Resource: the engine sees the same resources
// (same URNs, same provider), the stored provider is a one-line module (provider-shim.ts)
// instead of a serialized closure, and the source position the engine records for each
// resource is the program's line that declared it (the SDK finds it a fixed number of
// constructors up the stack: Resource, CustomResource, the class, then the caller).
import * as pulumi from "@pulumi/pulumi";
import { dynamicType, providerModule } from "./provider-shim";
import { registered } from "../provider/resources/registry";

/** Where the provider module finds the controllers inside the provider process. */
const PROVIDER_MODULE = "pulumi-netkit/dist/provider";

/** An input whose object members may themselves be Inputs (a private key from secret config). */
export type DeepInput<T> = T extends object ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }> : pulumi.Input<T>;
/** A resource's args: its inputs (sdk/types.ts), each member an Input. */
export type ArgsOf<In> = { [K in keyof In]: DeepInput<In[K]> };
/** A resource's output properties: everything it reports (sdk/types.ts), each an Output. */
export type OutputPropsOf<Out> = { readonly [K in keyof Out]-?: pulumi.Output<Out[K]> };

/** Module of the type tokens ("pulumi-nodejs:dynamic/netkit:NetkitPair"): part of every URN, never changed. */
const TOKEN_MODULE = "netkit";

/**
 * The type token and the props of a registered resource (provider/resources/registry.ts), its
 * provider module among them: what its class hands to pulumi.CustomResource. `resource`: its
 * name and options, for its URN, which a dynamic provider is not told: the props carry it as
 * `__urn`, so that the provider knows which resource of the stack declares a NIC queue (one
 * lease has one owner; provider/resources/leases/claims.ts).
 */
export function dynamicResource(name: string, args: object, resource?: { name: string; opts?: pulumi.CustomResourceOptions | undefined }): { type: string; props: pulumi.Inputs } {
  const r = registered(name);
  const type = dynamicType(TOKEN_MODULE, name);
  const keys = [...Object.keys(r.definition.inputs.shape), ...Object.keys(r.definition.outputs.shape)];
  const props: pulumi.Inputs = { ...dynamicProps(keys, args), __provider: providerModule(PROVIDER_MODULE, r.controller) };
  if (resource) props.__urn = pulumi.createUrn(resource.name, type, resource.opts?.parent);
  return { type, props };
}

/**
 * Turns stack traces off while a class registers its resource; returns the limit, which the
 * class restores in a `finally`, thrown or not. @pulumi/pulumi records a stack trace with every
 * promise it makes (debuggablePromise, shown only when a program exits with promises still
 * pending): about 200 for a NetkitPair, which were half of the program's CPU per resource
 * (9.3 -> 5.1 ms per pair, 300 pairs under mocks). The source position the engine records is
 * taken by @pulumi/pulumi under its own limit, so it is unaffected; an error thrown during
 * registration keeps its message, without a stack.
 */
export function stackTracesOff(): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return limit;
}

function dynamicProps(keys: string[], args: object): pulumi.Inputs {
  // Every key must be present for the engine to expose it as an output property.
  const props: Record<string, unknown> = Object.fromEntries(keys.map((k) => [k, undefined]));
  Object.assign(props, args);
  // Secret whatever the program passed; absent (the configured default) stays absent, even
  // when it arrives as an Output of a device that has none.
  const conn = (args as { connection?: pulumi.Input<unknown> }).connection;
  props.connection = conn === undefined ? undefined : pulumi.output(conn).apply((c) => (c === undefined || c === null ? undefined : pulumi.secret(c)));
  return props;
}

/** The connection is secret in state whatever the program passed. */
export function withSecrets(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"] };
}

/**
 * A device is replaced delete-first unless the program says otherwise: interface names are
 * unique per netns, so a new device beside the old one fails with EEXIST. The provider's diff
 * asks for this too, but the engine does not ask the provider about a forced replacement
 * (`pulumi up --replace`, a tainted resource): only this resource option reaches it.
 */
export function deleteFirst(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  return { ...opts, deleteBeforeReplace: opts?.deleteBeforeReplace ?? true };
}
