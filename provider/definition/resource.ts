// One declarative spec per resource. Everything else (check, diff, schema.json, the reference
// pages, the kernel table) is derived from it.
import type { z } from "zod";
import type { KernelFeature } from "../features";

export interface ResourceDefinition<In extends z.ZodObject = z.ZodObject, Out extends z.ZodObject = z.ZodObject> {
  /** "NetkitPair" — also the dynamic resource type and the schema token's last part. */
  name: string;
  description: string;
  /** Desired state. Field metadata says what replaces; object-level refinements carry rules between fields. */
  inputs: In;
  /** What the provider reports beyond the inputs (read back from the kernel). */
  outputs: Out;
  /** Kernel features every instance needs (beyond netkit itself), probed before a create. */
  needs?: KernelFeature[];
}

export function defineResource<In extends z.ZodObject, Out extends z.ZodObject>(spec: ResourceDefinition<In, Out>): ResourceDefinition<In, Out> {
  return spec;
}

export type InputsOf<S extends ResourceDefinition> = z.output<S["inputs"]>;
export type OutputsOf<S extends ResourceDefinition> = z.output<S["inputs"]> & z.output<S["outputs"]>;

/** The schema's top-level keys, inputs first; `__`-prefixed engine keys are never among them. */
export function inputKeys(spec: ResourceDefinition): string[] {
  return Object.keys(spec.inputs.shape);
}
