// Invalid inputs stop at check, under the real engine, before any host is touched.
//
// Design: every row of test/support/bad-inputs.ts (one broken rule of NetkitPair,
// NetkitSingle or RxqBinding) gets its own `pulumi up` of a one-resource inline program on
// one reused stack, pointed at a live test-host VM (connectionTo(host)), so a rule that
// check missed would reach the host. One run per row, because the engine stops at the first
// resource whose check fails (measured with Pulumi 3.259: of six invalid resources in one
// program, with or without --continue-on-error, only one was reported). Per row:
//   - the update fails, and the engine's diagnostics name exactly the row's property
//     ("… resource 'bad': property P value … has a problem: REASON") with the row's reason;
//   - no secret (the test key's lines, the rows' password sentinel) is in the output;
//   - sshd logged no new connection (its console log, read without a probe).
// After all rows, an exact probe proves the whole table touched nothing: every link in every
// netns and the netns list (`ip -d -j link show` on the host) equal the snapshot taken
// before the first row, and sshd received no TCP connection besides the probe's own. No row
// deletes anything, so a device made by one row would still be there at the end.
// A control preview shows the three bases pass the same check (so each row fails for its
// one change), and `pulumi preview` is shown to stop the same way for one row per field group.
import assert from "node:assert/strict";
import { FlowRule, NetkitPair, NetkitSingle, NicQueues, QueueNapi, RxqBinding } from "../../sdk";
import { inlineStack, type TestStack } from "../../harness/pulumi";
import { connectionTo, onHost, sharedHost } from "../support/shared-host";
import { addNetdevsim, removeNetdevsim } from "../support/netdevsim";
import { connectionsLogged, hostState, type HostState } from "../support/host-state";
import { badInputs, baseInputs, withChanges, NIC, POD_NETNS, SECRET, type BadInput, type ResourceName } from "../support/bad-inputs";
import type { TestHost } from "../../testhost";
import { asError } from "../support/errors";

const NSIM_ID = 7342;
const classes = { NetkitPair, NetkitSingle, RxqBinding, NicQueues, QueueNapi, FlowRule } as unknown as Record<ResourceName, new (name: string, args: unknown) => unknown>;

/** Every distinctive line of a PEM key: none may appear in any output. */
const keyLines = (pem: string) => pem.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));

/** The properties the engine reports for resource 'bad', each with its reasons. */
function reportedFailures(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of text.matchAll(/resource 'bad': property (\S+) value [\s\S]*? has a problem: (.*)$/gm)) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  // A secret top-level field is named in the reason, not as the property (whose value the
  // engine would print): "resource 'bad' has a problem: connection: …".
  for (const m of text.matchAll(/resource 'bad' has a problem: ([\w.]+): (.*)$/gm)) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  return out;
}

describe("lifecycle: invalid inputs fail check by field name before any host is touched", function () {
  let host: TestHost;
  let t: TestStack;
  let program: () => void = () => {};
  let baseline: HostState;
  let checkConnections = 0;

  before(async function () {
    host = await sharedHost();
    const ns = await onHost(host, ["ip", "netns", "add", POD_NETNS]);
    assert.equal(ns.exitCode, 0, ns.stderr.toString());
    await addNetdevsim(host, NSIM_ID, 2, NIC);
    t = await inlineStack("netkit-bad-input", async () => program());
    baseline = await hostState(host);
  });

  after(async function () {
    await t?.stack.destroy().catch(() => undefined);
    t?.cleanup();
    await removeNetdevsim(host, NSIM_ID);
    await onHost(host, ["ip", "netns", "del", POD_NETNS]);
  });

  function assertNoSecret(text: string): void {
    for (const s of [SECRET, ...keyLines(host.privateKey)]) assert.ok(!text.includes(s), "a secret appears in the engine's output");
  }

  function register(row: BadInput): void {
    const inputs = withChanges(baseInputs(row.resource, connectionTo(host)), row.set);
    program = () => void new classes[row.resource]("bad", inputs);
  }

  /**
   * Runs the operation, which must fail, and returns everything it printed. The engine must
   * have seen the resource: a run that fails before registering it proves nothing (how an
   * inline run can fail so, and what the harness does against it: harness/inline-runtime.ts).
   */
  async function failing(op: "up" | "preview"): Promise<string> {
    let out = "";
    const run = op === "up" ? t.stack.up({ onOutput: (s) => (out += s) }) : t.stack.preview({ onOutput: (s) => (out += s) });
    const failed = await run.then(
      () => undefined,
      (e: unknown) => asError(e),
    );
    const text = `${out}\n${failed?.message ?? ""}`;
    assert.ok(failed, `${op} succeeded:\n${out}`);
    assert.match(text, /dynamic\/netkit:\w+ bad\b/, "the engine never saw the resource");
    return text;
  }

  function assertNamesField(row: BadInput, text: string): void {
    const failures = reportedFailures(text);
    assert.deepEqual([...failures.keys()], [row.property], `expected exactly property ${row.property}; the engine said:\n${text}`);
    const reasons = failures.get(row.property)!;
    assert.ok(
      reasons.some((r) => row.reason.test(r)),
      `no reason for ${row.property} matches ${row.reason}: ${reasons.join(" | ")}`,
    );
  }

  it("control: the three valid bases pass the engine's check (preview plans their creates)", async function () {
    const per = (r: ResourceName) => badInputs.filter((x) => x.resource === r).length;
    assert.ok(badInputs.length >= 40 && per("NetkitPair") && per("NetkitSingle") && per("RxqBinding"), "the table covers all three resources, ≥ 40 rows");
    program = () => {
      for (const r of ["NetkitPair", "NetkitSingle", "RxqBinding"] as const) new classes[r](r, baseInputs(r, connectionTo(host)));
    };
    const dialed = connectionsLogged(host);
    const p = await t.stack.preview();
    assert.equal(p.changeSummary.create, 4, JSON.stringify(p.changeSummary)); // the stack + 3
    // A valid preview asks the host read-only questions (netkit:previewChecks); bad input never does.
    checkConnections = connectionsLogged(host) - dialed;
    assert.ok(checkConnections >= 1, "the valid preview's host checks reached the host");
  });

  for (const row of badInputs) {
    it(`${row.resource} ${row.property}: ${row.proves}`, async function () {
      register(row);
      const dialed = connectionsLogged(host);
      const text = await failing("up");
      assertNamesField(row, text);
      assertNoSecret(text);
      assert.equal(connectionsLogged(host), dialed, "sshd logged a connection during the update");
    });
  }

  it("preview stops at the same check (one row of every field group)", async function () {
    const groups = new Map<string, BadInput>();
    for (const row of badInputs) if (!groups.has(row.group)) groups.set(row.group, row);
    for (const row of groups.values()) {
      register(row);
      const dialed = connectionsLogged(host);
      const text = await failing("preview");
      assertNamesField(row, text);
      assertNoSecret(text);
      assert.equal(connectionsLogged(host), dialed, `${row.resource} ${row.property}: bad input reached the host at preview`);
    }
  });

  it("every failed run closed its engine clients: none is left reconnecting to an engine that is gone", async function () {
    assert.ok(t.clients.runCount > badInputs.length, `only ${t.clients.runCount} runs called the program`);
    assert.equal(t.clients.open(), 0);
  });

  it("after all of it the host is exactly as before, and nothing but the test's probes connected to it", async function () {
    const now = await hostState(host);
    assert.equal(now.devices, baseline.devices, "the host's links or netns changed");
    assert.equal(now.connections - baseline.connections, checkConnections + 1, "something besides the control preview's checks and this probe connected to the host's sshd");
    const { resources } = (await t.stack.exportStack()).deployment as { resources: Array<{ type: string }> };
    const types = resources.map((r) => r.type);
    assert.deepEqual(
      types.filter((x: string) => x.includes("netkit")),
      [],
      `no netkit resource in the state: ${JSON.stringify(types)}`,
    );
  });
});
