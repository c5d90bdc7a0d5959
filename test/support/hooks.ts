// What a test worker (worker.ts) stops when it ends, even when tests failed: the test hosts
// its files booted and the provider's SSH sessions. Also a mocha global fixture, for a plain
// `mocha --require dist/test/support/hooks.js …`.
import { stopSharedHosts } from "./shared-host";
import { stopDebianHosts } from "./kernel-hosts";
import { closeSessions } from "../../provider/runtime";

export async function mochaGlobalTeardown(): Promise<void> {
  closeSessions();
  await Promise.all([stopSharedHosts(), stopDebianHosts()]);
}
