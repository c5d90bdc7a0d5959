// The provider process's logger: messages go to the Pulumi engine's log (shown with
// `pulumi up --debug`, and warnings always), not to a global the tests patch. The engine
// passes its address as an argument to the dynamic-provider process and to the plugin;
// @pulumi/pulumi reads it only from the environment at load time, so we connect to it ourselves.
import { dirname } from "node:path";
import type { Logger } from "./log";

type Severity = "DEBUG" | "INFO" | "WARNING";

interface EngineLink {
  send(severity: Severity, message: string): void;
}

function connect(addr: string): EngineLink | undefined {
  try {
    // Loaded lazily: only inside a provider process that has an engine to talk to. grpc-js is
    // @pulumi/pulumi's, taken from its tree: the generated client must use that very copy.
    const pulumiDir = dirname(require.resolve("@pulumi/pulumi/package.json"));
    /* eslint-disable @typescript-eslint/no-require-imports -- lazy, and grpc-js from @pulumi/pulumi's own tree */
    const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] })) as { credentials: { createInsecure(): unknown } };
    const { EngineClient } = require("@pulumi/pulumi/proto/engine_grpc_pb") as typeof import("@pulumi/pulumi/proto/engine_grpc_pb");
    const { LogRequest, LogSeverity } = require("@pulumi/pulumi/proto/engine_pb") as typeof import("@pulumi/pulumi/proto/engine_pb");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const client = new EngineClient(addr, grpc.credentials.createInsecure() as never);
    return {
      send(severity, message) {
        const req = new LogRequest();
        req.setSeverity(LogSeverity[severity]);
        req.setMessage(message);
        client.log(req, () => undefined); // best effort: a lost log line must not fail an operation
      },
    };
  } catch {
    return undefined;
  }
}

let link: EngineLink | undefined | null = null;
function engine(): EngineLink | undefined {
  if (link === null) {
    const script = process.argv[1] ?? "";
    const args = process.argv.slice(2);
    // The dynamic provider is given the address first; the plugin as its one argument after
    // the engine's flags (-v=…, --logtostderr). Without this the plugin's warnings reached
    // only its stderr, which the engine does not show.
    const addr = /dynamic-provider/.test(script) ? args[0] : /plugin[\\/]main\.js$/.test(script) ? args.find((a) => !a.startsWith("-")) : undefined;
    link = addr && /^[\w.[\]:-]+:\d+$/.test(addr) ? connect(addr) : undefined;
  }
  return link;
}

/** Engine log when running under the engine; stderr otherwise (tests, scripts). */
export const engineLogger: Logger = {
  debug: (m) => (engine() ? engine()!.send("DEBUG", `netkit: ${m}`) : process.env.NETKIT_DEBUG && console.error(`[netkit] ${m}`)),
  info: (m) => (engine() ? engine()!.send("INFO", `netkit: ${m}`) : console.error(`[netkit] ${m}`)),
  warn: (m) => (engine() ? engine()!.send("WARNING", `netkit: ${m}`) : console.error(`[netkit] warning: ${m}`)),
};
