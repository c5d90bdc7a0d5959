// What `pulumi preview --diff` prints, as golden text (test/fixtures/golden/), for an update,
// a replacement, drift after a refresh, and a no-op after a refresh: through the provider
// plugin (Pulumi YAML; detailed diffs) and the dynamic provider (TypeScript). Only what
// changes is shown: values the kernel chose (left unset by the program) never appear, and a
// no-op is a no-op. NETKIT_WRITE_GOLDEN=1 records the texts anew.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NetkitPair } from "../../sdk";
import type { TestHost } from "../../testhost";
import { configureProvider } from "../support/plugin";
import { inlineStack, repoRoot, type TestStack } from "../../harness/pulumi";
import { onHost, sharedHost } from "../support/shared-host";
import { yamlProject, type YamlProject } from "../../harness/yaml";

const GOLDEN = join(repoRoot, "test", "fixtures", "golden");

/** The preview text without what varies from run to run: ports, durations, trailing blanks. */
function normalize(text: string, host: TestHost): string {
  return text
    .replace(/\x1b\[[0-9;]*m/g, "")
    .replaceAll(`${host.host}:${host.port}`, "HOST:PORT")
    .replace(/\(\d+(\.\d+)?m?s\)/g, "(Ns)")
    .replace(/Duration: .*/g, "Duration: N")
    .replace(/[ \t]+$/gm, "")
    .trim();
}

function golden(name: string, text: string): void {
  const file = join(GOLDEN, `${name}.txt`);
  if (process.env.NETKIT_WRITE_GOLDEN === "1") {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, text + "\n");
    return;
  }
  assert.ok(existsSync(file), `${file} is missing: record it with NETKIT_WRITE_GOLDEN=1`);
  assert.equal(text, readFileSync(file, "utf8").trim(), `pulumi preview --diff no longer prints ${file} (NETKIT_WRITE_GOLDEN=1 records it)`);
}

const pairYaml = (props: Record<string, string | number>) =>
  `resources:\n  pod:\n    type: netkit:index:NetkitPair\n    properties:\n      name: nkg0\n      peerName: nkg0p\n` +
  Object.entries(props)
    .map(([k, v]) => `      ${k}: ${v}\n`)
    .join("");

describe("lifecycle: pulumi preview --diff shows what changes, and only that", function () {
  let host: TestHost;
  before(async function () {
    host = await sharedHost();
  });

  describe("the provider plugin (Pulumi YAML)", function () {
    let p: YamlProject;
    const preview = async (name: string) => golden(`yaml-${name}`, normalize(await p.pulumi("preview", "--diff", "--color", "never"), host));
    before(async function () {
      p = await yamlProject("golden-yaml", host, pairYaml({ mtu: 1500 }));
      await p.pulumi("up", "--yes");
    });
    after(async function () {
      await p?.pulumi("destroy", "--yes").catch(() => undefined);
      p?.cleanup();
    });

    it("an update in place", async function () {
      writeFileSync(join(p.dir, "Pulumi.yaml"), readFileSync(join(p.dir, "Pulumi.yaml"), "utf8").replace("mtu: 1500", "mtu: 9000"));
      await preview("update");
    });
    it("a replacement", async function () {
      writeFileSync(join(p.dir, "Pulumi.yaml"), readFileSync(join(p.dir, "Pulumi.yaml"), "utf8").replace("mtu: 9000", "mtu: 1500\n      headroom: 64"));
      await preview("replace");
      writeFileSync(join(p.dir, "Pulumi.yaml"), readFileSync(join(p.dir, "Pulumi.yaml"), "utf8").replace("\n      headroom: 64", ""));
    });
    it("drift after a refresh", async function () {
      await onHost(host, ["ip", "link", "set", "nkg0", "mtu", "1400"]);
      await p.pulumi("refresh", "--yes");
      await preview("drift");
      await p.pulumi("up", "--yes");
    });
    it("a no-op after a refresh", async function () {
      await p.pulumi("refresh", "--yes");
      await preview("noop");
      await p.pulumi("preview", "--expect-no-changes");
    });
  });

  describe("the dynamic provider (TypeScript)", function () {
    let t: TestStack;
    const cfg: { mtu: number; headroom?: number } = { mtu: 1500 };
    const preview = async (name: string) => golden(`ts-${name}`, normalize((await t.stack.preview({ diff: true, color: "never" })).stdout, host));
    before(async function () {
      t = await inlineStack("golden-ts", async () => {
        new NetkitPair("pod", { name: "nkg1", peerName: "nkg1p", ...cfg });
      });
      await configureProvider(t.stack, host);
      await t.stack.up();
    });
    after(async function () {
      await t?.stack.destroy().catch(() => undefined);
      t?.cleanup();
    });

    it("an update in place", async function () {
      cfg.mtu = 9000;
      await preview("update");
    });
    it("a replacement", async function () {
      Object.assign(cfg, { mtu: 1500, headroom: 64 });
      await preview("replace");
      delete cfg.headroom;
    });
    it("drift after a refresh", async function () {
      await onHost(host, ["ip", "link", "set", "nkg1", "mtu", "1400"]);
      await t.stack.refresh();
      await preview("drift");
      await t.stack.up();
    });
    it("a no-op after a refresh", async function () {
      await t.stack.refresh();
      await preview("noop");
      await t.stack.preview({ expectNoChanges: true });
    });
  });
});
