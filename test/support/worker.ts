// A test worker: a process the runner (runner.ts) forks, which runs the test files it is sent one
// at a time, each with a fresh Mocha instance. Modules stay loaded between files, so the test
// hosts a worker boots (shared-host.ts, kernel-hosts.ts) serve every file it runs; two workers
// never share one. Everything the tests print goes to the runner as the file's output.
import Mocha from "mocha";
import { fileReporter } from "./reporter";
import type { FileOptions, FromWorker, ToWorker } from "./run-protocol";
import { skipReasons } from "./skip";

function send(m: FromWorker): void {
  // Once the runner is gone there is no one to tell.
  if (process.connected) process.send?.(m);
}

// What the tests and the reporter print is the file's output, in order with its events.
for (const stream of [process.stdout, process.stderr]) {
  const write = (chunk: string | Uint8Array, encoding?: BufferEncoding | ((err?: Error | null) => void), cb?: (err?: Error | null) => void): boolean => {
    send({ kind: "output", text: typeof chunk === "string" ? chunk : Buffer.from(chunk).toString(typeof encoding === "string" ? encoding : "utf8") });
    const done = typeof encoding === "function" ? encoding : cb;
    done?.();
    return true;
  };
  stream.write = write;
}

async function runFile(file: string, o: FileOptions): Promise<number> {
  const mocha = new Mocha({
    reporter: fileReporter(send),
    timeout: o.timeoutMs,
    slow: o.slowMs,
    color: false,
    ...(o.grep !== undefined ? { grep: o.grep } : {}),
    ...(o.fgrep !== undefined ? { fgrep: o.fgrep } : {}),
    ...(o.invert ? { invert: true } : {}),
    ...(o.bail ? { bail: true } : {}),
  });
  mocha.addFile(file);
  try {
    await mocha.loadFilesAsync();
  } catch (err) {
    console.log(`  could not load ${file}:\n${(err as Error).stack ?? String(err)}`);
    send({ kind: "test", title: `loading ${file}`, outcome: "failed", ms: 0 });
    return 1;
  }
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  await endProviderRun();
  // The runner of this file added these; the next file's adds its own.
  process.removeAllListeners("uncaughtException");
  process.removeAllListeners("unhandledRejection");
  mocha.dispose();
  for (const [title, reason] of skipReasons) send({ kind: "skip", title, reason });
  skipReasons.clear();
  return failures;
}

const loaded = (m: string) => require.resolve(m) in require.cache;

/**
 * A file is one provider run, as a `pulumi` command is: the next file starts with no host
 * client and no lease claims. A host client keeps what a run's preview checks saw (one link
 * snapshot per run), so one kept across files answers from a host as an earlier file left it.
 */
async function endProviderRun(): Promise<void> {
  if (loaded("../../provider/runtime")) (await import("../../provider/runtime")).closeSessions();
  if (loaded("../../provider/resources/leases/claims")) (await import("../../provider/resources/leases/claims")).forgetClaims();
}

/** Stops the test hosts and SSH sessions the files started; none when they loaded no module that starts any. */
async function teardown(): Promise<void> {
  if (!["./shared-host", "./kernel-hosts", "../../provider/runtime"].some(loaded)) return;
  await (await import("./hooks")).mochaGlobalTeardown();
}

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= teardown()
    .catch((err: unknown) => console.log(`  stopping this worker's test hosts failed: ${String(err)}`))
    .then(() => {
      send({ kind: "stopped" });
      process.exit(0);
    });
  return stopping;
}

process.on("message", (m: ToWorker) => {
  switch (m.kind) {
    case "run": {
      Object.assign(process.env, m.env);
      const t0 = Date.now();
      void runFile(m.file, m.options).then((failures) => send({ kind: "done", file: m.file, failures, ms: Date.now() - t0 }));
      break;
    }
    case "prewarm":
      // Booted now, awaited by the first test that asks; a failure is that test's to report.
      void import("./shared-host").then((m) => m.sharedHost()).catch(() => undefined);
      break;
    case "stop":
      void stop();
      break;
  }
});
// The runner is gone (killed, or it crashed): leave nothing behind.
process.on("disconnect", () => void stop());
send({ kind: "ready" });
