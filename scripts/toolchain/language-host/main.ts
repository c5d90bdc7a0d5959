// A minimal language host for tests: `pulumi-language-nodejs`, `-python` and `-go`, the
// engine's hosts for `runtime: nodejs|python|go`, in TypeScript because the official Go hosts
// can't be built here. The launcher beside the CLI names the runtime (default nodejs):
//
//   node main.js [--runtime=nodejs|python|go] [--logtostderr] [-v=N] [--tracing URL] ENGINE_ADDR
//
// The protocol with the engine: print the gRPC port as the first and only line of our own
// stdout (anything after it, including programs' output, becomes stack diagnostics); serve
// LanguageRuntime (service.ts); exit on SIGINT/SIGTERM (the engine signals our process
// group on shutdown) and when stdin reaches EOF: the engine holds our stdin open while it
// lives, so EOF means it is gone (even kill -9'd) and we must not outlive it.
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { fstatSync } from "node:fs";
import type { EngineArgs } from "./child";
import { go } from "./go";
import type { Language } from "./language";
import { nodejs } from "./nodejs";
import { stopAll } from "./processes";
import { python } from "./python";
import { grpc, langrpc } from "./sdk";
import { languageRuntime } from "./service";

const LANGUAGES: Record<string, Language> = { nodejs, python, go };

/** The engine address is the last bare argument; `--tracing` takes a value; other flags are logging knobs. */
function parseArgs(argv: string[]): EngineArgs & { runtime: string } {
  const out: EngineArgs & { runtime: string } = { engineAddress: "", runtime: "nodejs" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const tracing = /^--?tracing(?:=(.*))?$/.exec(a);
    const runtime = /^--runtime=(.*)$/.exec(a);
    if (tracing) out.tracing = tracing[1] ?? argv[++i];
    else if (runtime) out.runtime = runtime[1]!;
    else if (!a.startsWith("-")) out.engineAddress = a;
  }
  return out;
}

const { runtime, ...engine } = parseArgs(process.argv.slice(2));
const language = LANGUAGES[runtime];
if (!engine.engineAddress || !language) {
  process.stderr.write(`usage: pulumi-language-${runtime} [--runtime=${Object.keys(LANGUAGES).join("|")}] [--logtostderr] [-v=N] [--tracing URL] ENGINE_ADDR\n`);
  process.exit(2);
}

// The engine's side allows large messages (config, program info); grpc-js's default receive limit is 4 MiB.
const MAX_MESSAGE = 400 * 1024 * 1024;
const server = new grpc.Server({ "grpc.max_receive_message_length": MAX_MESSAGE, "grpc.max_send_message_length": MAX_MESSAGE });
server.addService(langrpc.LanguageRuntimeService, languageRuntime(engine, language) as UntypedServiceImplementation);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`pulumi-language-${runtime}: cannot listen: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.forceShutdown();
  // The engine SIGKILLs the group 5 s after its SIGINT: give the programs 3 s to end cleanly.
  void stopAll(3000).then(() => process.exit(0));
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

// Only a pipe or socket means an engine on the other end; a TTY or /dev/null (a manual run) doesn't.
try {
  const st = fstatSync(0);
  if (st.isFIFO() || st.isSocket()) {
    process.stdin.on("end", stop);
    process.stdin.on("error", stop);
    process.stdin.resume();
  }
} catch {
  // no stdin at all: nothing to watch
}
