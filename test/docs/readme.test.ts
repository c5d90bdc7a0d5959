// The docs tier's README (book.ts), and the checks that every runnable page is run by one of
// the tier's files and that every page with checks is runnable.
import assert from "node:assert/strict";
import { runnablePagePaths } from "../support/doc-pages";
import { repoRoot } from "../../harness/pulumi";
import { PAGE_CHECKS } from "./checks";
import { booksOf, describeBook } from "./book";

describe("docs: the runnable pages and the files that run them", function () {
  const pages = runnablePagePaths(repoRoot);

  it("every page with checks is one of the runnable pages", function () {
    for (const page of Object.keys(PAGE_CHECKS)) assert.ok(pages.includes(page), `${page} is not a runnable page`);
  });

  it("every runnable page is run by exactly one file of the docs tier", function () {
    const unrun = pages.filter((p) => booksOf(p).length !== 1).map((p) => `${p}: ${booksOf(p).join(", ") || "no file"}`);
    assert.deepEqual(unrun, []);
  });
});

describeBook("readme", "README");
