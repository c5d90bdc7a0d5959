// Mocha global fixtures: whatever a run started is stopped, even when tests fail.
import { stopSharedHosts } from "./shared-host";
import { stopDebianHosts } from "./kernel-hosts";
import { closeSessions } from "../../provider/runtime";

export async function mochaGlobalTeardown(): Promise<void> {
  closeSessions();
  await Promise.all([stopSharedHosts(), stopDebianHosts()]);
}
