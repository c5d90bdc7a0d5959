// Every resource spec, in the order docs and schema.json list them. Adding a resource means
// declaring its spec and controller and registering the spec here.
import { netkitPairDefinition } from "./netkit-pair/definition";
import { netkitSingleDefinition } from "./netkit-single/definition";
import { rxqBindingDefinition } from "./rxq-binding/definition";
import type { ResourceDefinition } from "../definition/resource";

export const allDefinitions: ResourceDefinition[] = [netkitPairDefinition, netkitSingleDefinition, rxqBindingDefinition];
