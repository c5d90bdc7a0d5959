// The docs tier: every fenced shell, TypeScript and YAML block of README.md, of every page
// under docs/ and of the examples' READMEs, run as printed, in order, against the shared test
// host (test/support/doc-runner.ts; the conventions are in CONTRIBUTING.md, "Runnable pages").
// Where a page walks a path that the tests must also check (the examples are the user's
// path: the package as `npm pack` ships it, in a project outside this repo, with `pulumi`
// typed in its directory), the assertions hang on its blocks (checks.ts) instead of a second
// run of the same path.
//
// The pages are run in three files, one per book (readme, guides, examples: BOOKS), so that
// the runner can run them beside each other, each in its worker's own HOME against its own
// test host. Each page provides what it starts from (its givens), so it needs no other page
// to have run first.
import { readPage, runnablePagePaths } from "../support/doc-pages";
import { describePage, removeDocEnvironment } from "../support/doc-runner";
import { repoRoot } from "../../harness/pulumi";
import { sharedHost } from "../support/shared-host";
import { PAGE_CHECKS } from "./checks";

/** Which runnable pages each book's file runs. */
export const BOOKS = {
  readme: (page: string) => page === "README.md",
  guides: (page: string) => page.startsWith("docs/"),
  examples: (page: string) => page.startsWith("examples/"),
} as const;

export type Book = keyof typeof BOOKS;

/** The books a runnable page belongs to (exactly one, checked in readme.test.ts). */
export function booksOf(page: string): Book[] {
  return (Object.keys(BOOKS) as Book[]).filter((b) => BOOKS[b](page));
}

/** Declares the tests of every runnable page of `book`, in the order runnablePagePaths gives. */
export function describeBook(book: Book, title: string): void {
  describe(`docs: ${title}, run as printed`, function () {
    for (const path of runnablePagePaths(repoRoot).filter(BOOKS[book])) describePage(readPage(repoRoot, path), sharedHost, PAGE_CHECKS[path]);

    after(removeDocEnvironment);
  });
}
