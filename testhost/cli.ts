#!/usr/bin/env node
/**
 * Test hosts by hand:
 *   node dist/testhost/cli.js kernel    build (or find) the kernel, print it as JSON
 *   node dist/testhost/cli.js up [N]    boot N hosts (default 1), print them as JSON,
 *                                       keep them until Ctrl-C / SIGTERM, then tear down
 * Progress goes to stderr, results to stdout.
 */
import { ensureKernel, startTestHosts, type TestHost } from "./index";

const log = (line: string) => process.stderr.write(`testhost: ${line}\n`);

/** Connection details only: the private key stays in its file. */
function describe(h: TestHost) {
  return {
    name: h.name,
    host: h.host,
    port: h.port,
    user: h.user,
    privateKeyPath: h.privateKeyPath,
    knownHostsPath: h.knownHostsPath,
    knownHostsLine: h.knownHostsLine,
    hostKeyFingerprint: h.hostKeyFingerprint,
    kernelRelease: h.kernelRelease,
    logPath: h.logPath,
    bootSeconds: Number((h.bootMs / 1000).toFixed(1)),
    ssh: `ssh -i ${h.privateKeyPath} -p ${h.port} -o UserKnownHostsFile=${h.knownHostsPath} -o StrictHostKeyChecking=yes root@${h.host}`,
  };
}

async function main(argv: string[]): Promise<number> {
  const [cmd, arg] = argv;
  if (cmd === "kernel") {
    console.log(JSON.stringify(await ensureKernel({ log }), null, 2));
    return 0;
  }
  if (cmd === "up") {
    const count = arg === undefined ? 1 : Number(arg);
    if (!Number.isInteger(count) || count < 1) throw new Error(`up: N must be a positive integer, not ${arg}`);
    const started = Date.now();
    const set = await startTestHosts(count, { log });
    log(`${count} host(s) up in ${((Date.now() - started) / 1000).toFixed(1)} s; Ctrl-C to stop`);
    console.log(JSON.stringify(set.hosts.map(describe), null, 2));
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    log("stopping");
    await set.stop();
    return 0;
  }
  process.stderr.write("usage: cli.js kernel | up [N]\n");
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`testhost: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
