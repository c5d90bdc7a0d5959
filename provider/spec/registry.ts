// Every resource spec, in the order docs and schema.json list them. Adding a resource means
// declaring its spec and controller and registering the spec here.
import { netkitPairSpec } from "../resources/netkit-pair.spec";
import { netkitSingleSpec } from "../resources/netkit-single.spec";
import { rxqBindingSpec } from "../resources/rxq-binding.spec";
import type { ResourceSpec } from "./resource";

export const allSpecs: ResourceSpec[] = [netkitPairSpec, netkitSingleSpec, rxqBindingSpec];
