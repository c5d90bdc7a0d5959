// The docs tier: every fenced shell, TypeScript and YAML block of README.md, of every page
// under docs/ and of the examples' READMEs, run as printed, in order, against the shared test
// host (test/support/doc-runner.ts; the conventions are in CONTRIBUTING.md, "Runnable pages").
// Where a page walks a path that the tests must also check (the examples are the user's
// path: the package as `npm pack` ships it, in a project outside this repo, with `pulumi`
// typed in its directory), the assertions hang on its blocks (checks.ts) instead of a second
// run of the same path.
import assert from "node:assert/strict";
import { readPage, runnablePagePaths } from "../support/doc-pages";
import { describePage, removeDocEnvironment } from "../support/doc-runner";
import { repoRoot } from "../../harness/pulumi";
import { sharedHost } from "../support/shared-host";
import { PAGE_CHECKS } from "./checks";

describe("docs: README, the guides and the examples' READMEs, run as printed", function () {
  const pages = runnablePagePaths(repoRoot);

  it("every page with checks is one of the runnable pages", function () {
    for (const page of Object.keys(PAGE_CHECKS)) assert.ok(pages.includes(page), `${page} is not a runnable page`);
  });

  for (const path of pages) describePage(readPage(repoRoot, path), sharedHost, PAGE_CHECKS[path]);

  after(removeDocEnvironment);
});
