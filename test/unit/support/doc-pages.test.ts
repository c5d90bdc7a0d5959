// The rules of runnable pages (test/support/doc-pages.ts), and every page of the repository
// following them: a block the docs tier cannot place (a TypeScript block without file=, an
// unknown attribute, a norun without its reason) fails here, in seconds, naming page and line.
import assert from "node:assert/strict";
import { parsePage, readPage, runnablePagePaths, substitute } from "../../support/doc-pages";
import { repoRoot } from "../../../harness/pulumi";

const page = (lines: string[]) => parsePage("p.md", lines.join("\n"));

describe("unit: runnable pages", () => {
  it("reads each fenced block's language, role, attributes and line", () => {
    const p = page([
      "<!-- test: stack typescript -->",
      "The commands use `10.0.0.5` for your host.",
      "```sh",
      "pulumi up",
      "```",
      "```sh host",
      "ip netns add pod1",
      "```",
      "```ts file=index.ts id=prog",
      "export const x = 1;",
      "```",
      '```sh fails="is taken" expect="x"',
      "pulumi preview",
      "```",
      '```yaml norun="a fragment"',
      "a: 1",
      "```",
      "```json",
      "{}",
      "```",
    ]);
    assert.deepEqual(p.problems, []);
    assert.equal(p.hostPlaceholder, "10.0.0.5");
    assert.deepEqual(p.givens, [{ kind: "stack", runtime: "typescript", project: "stack-ts", line: 1 }]);
    assert.deepEqual(
      p.blocks.map((b) => [b.line, b.lang, b.role, b.file ?? b.reason ?? b.fails ?? "", b.id ?? ""]),
      [
        [3, "sh", "shell", "", ""],
        [6, "sh", "host", "", ""],
        [9, "ts", "file", "index.ts", "prog"],
        [12, "sh", "shell", "is taken", ""],
        [15, "yaml", "norun", "a fragment", ""],
        [18, "json", "inert", "", ""],
      ],
    );
    assert.equal(p.blocks[0]!.text, "pulumi up\n");
    assert.equal(p.blocks[3]!.expect, "x");
  });

  it("reads a checkout given and what it is to hold: the packed tarball, the plugin archives", () => {
    const p = page([
      "<!-- test: checkout ~/src/pulumi-netkit -->",
      "<!-- test: checkout ~/src/pulumi-netkit packed plugin -->",
      "<!-- test: checkout ~/src/pulumi-netkit built -->",
    ]);
    assert.deepEqual(p.givens, [
      { kind: "checkout", path: "~/src/pulumi-netkit", packed: false, plugin: false, line: 1 },
      { kind: "checkout", path: "~/src/pulumi-netkit", packed: true, plugin: true, line: 2 },
    ]);
    assert.deepEqual(p.problems, ["p.md:3: checkout's words after the path: packed, plugin"]);
  });

  it("fenced blocks inside list items lose their indent", () => {
    const p = page(["- item:", "  ```sh", "  pulumi up", "  ```"]);
    assert.deepEqual(p.problems, []);
    assert.equal(p.blocks[0]!.text, "pulumi up\n");
  });

  it("refuses what it cannot run, naming page and line", () => {
    const p = page([
      "```ts",
      "x",
      "```",
      '```sh norun=""',
      "x",
      "```",
      "```sh bogus=1",
      "x",
      "```",
      "```sh",
      "$ pulumi up",
      "```",
      "```sh file=../x",
      "y",
      "```",
      "<!-- test: nic -->",
    ]);
    assert.deepEqual(p.problems, [
      'p.md:1: a ts block is written to a file (file=NAME) or marked norun="why"',
      "p.md:4: norun needs a reason",
      "p.md:7: unknown attribute bogus",
      'p.md:10: a runnable shell block holds commands, not a transcript with "$ " prompts',
      "p.md:13: file= needs a path inside the current directory",
      "p.md:16: nic needs a name and a queue count",
    ]);
  });

  it("a page that names the documentation address in a block must say it stands for your host", () => {
    assert.deepEqual(page(["```sh", "pulumi config set netkit:host 10.0.0.5", "```"]).problems, [
      'p.md:1: the block names 10.0.0.5: say on the page that it stands for the reader\'s host ("`10.0.0.5` for your host")',
    ]);
  });

  it("substitutes only the address the page states", () => {
    const p = page(["`10.0.0.5` for your host", "```sh", "ssh-keyscan 10.0.0.5", "```"]);
    assert.equal(substitute(p, p.blocks[0]!.text, "127.9.9.9"), "ssh-keyscan 127.9.9.9\n");
    const q = page(["```sh", "ssh-keyscan example.com", "```"]);
    assert.equal(substitute(q, q.blocks[0]!.text, "127.9.9.9"), "ssh-keyscan example.com\n");
  });

  it("README, every page under docs/ and the examples' READMEs follow the conventions", () => {
    const paths = runnablePagePaths(repoRoot);
    for (const p of ["README.md", "docs/guides/troubleshooting.md", "examples/pair-into-netns/README.md"]) assert.ok(paths.includes(p), p);
    for (const path of paths) assert.deepEqual(readPage(repoRoot, path).problems, [], path);
  });
});
