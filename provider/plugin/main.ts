// Entry point of the provider plugin `pulumi-resource-netkit` (bin/ starts it with node):
// serves the package's schema and resources to the Pulumi engine over gRPC.
import { main } from "@pulumi/pulumi/provider";
import { packageVersion, renderSchema } from "../artefacts";
import { adaptProviderServer } from "./server-adapter";
import { configure, netkitPlugin } from "./provider";

const plugin = netkitPlugin(packageVersion(), renderSchema());
adaptProviderServer({ onConfigure: configure, onDiff: plugin.detailedDiff, onPreviewUpdate: plugin.previewUpdate });
main(plugin, process.argv.slice(2)).catch((err: unknown) => {
  console.error(`pulumi-resource-netkit: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
