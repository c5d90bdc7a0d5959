// Inline programs (Automation API) run @pulumi/pulumi's language runtime inside this process,
// one run after another: the test command runs hundreds. Two upstream behaviours (3.259.0)
// combine into a flake that silently loses resources:
//  - An inline run never closes the gRPC clients it opens to the engine (disconnect() closes
//    only the CLI-mode globals). A run the engine fails (a check failure, say) leaves them
//    with calls pending, so they keep reconnecting to its dead ports, forever.
//  - grpc-js shares subchannels process-wide by address. A later engine that happens to listen
//    on one of those ports hands its program a subchannel already in TRANSIENT_FAILURE: its
//    first call fails at once with "14 UNAVAILABLE: No connection established. Last error:
//    null", and the SDK swallows gRPC errors as "the engine is shutting down". The run then
//    ends "successfully" with resources missing, and `up` deletes them.
// So every channel gets its own subchannel pool, and each run's clients are closed when its
// operation returns. Both reach into @pulumi/pulumi internals (pinned in package.json).
import type { ChannelInterface } from "@grpc/grpc-js";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { fromPulumiTree } from "./pulumi-tree";

interface Closable {
  close(): void;
  getChannel(): Pick<ChannelInterface, "getConnectivityState">;
}
interface RunSettings {
  monitor?: Closable;
  engine?: Closable;
}

// Internals the package's .d.ts files leave out (@internal): typed here by what is used of them.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- undeclared in @pulumi/pulumi's types, so no static import can name it
const sdkSettings = require("@pulumi/pulumi/runtime/settings") as { grpcClientOptions: Record<string, unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- undeclared in @pulumi/pulumi's types, so no static import can name it
const sdkState = require("@pulumi/pulumi/runtime/state") as { getLocalStore(): { settings: RunSettings } | undefined };
// The grpc-js whose channels the SDK's clients are: @pulumi/pulumi's dependency, not ours.
const { connectivityState } = fromPulumiTree<typeof import("@grpc/grpc-js")>("@grpc/grpc-js");

/** The options every client of @pulumi/pulumi's runtime is created with (for tests). */
export const sdkClientOptions = sdkSettings.grpcClientOptions;

/** Idempotent; applied when this module loads, before any inline run. */
export function isolateSubchannels(): void {
  sdkClientOptions["grpc.use_local_subchannel_pool"] = 1;
}
isolateSubchannels();

/** The engine clients of one stack's inline runs, closed after each operation. */
export class RunClients {
  private readonly runs: RunSettings[] = [];
  private closed = 0;

  /** `program`, noting the clients of the run it is called in. */
  track(program: PulumiFn): PulumiFn {
    return async () => {
      const s = sdkState.getLocalStore()?.settings;
      if (s) this.runs.push(s);
      return program();
    };
  }

  /** Closes what the runs so far opened; the runs are over once their CLI has exited. */
  closeAll(): void {
    for (const s of this.runs.slice(this.closed)) {
      for (const c of [s.monitor, s.engine]) {
        try {
          c?.close();
        } catch {
          // already closed
        }
      }
    }
    this.closed = this.runs.length;
  }

  /** How many runs called the program. */
  get runCount(): number {
    return this.runs.length;
  }

  /** Clients of any tracked run that are not shut down. */
  open(): number {
    return this.runs.flatMap((s) => [s.monitor, s.engine]).filter((c) => c !== undefined && c.getChannel().getConnectivityState(false) !== connectivityState.SHUTDOWN).length;
  }
}
