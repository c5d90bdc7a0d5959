// Runnable documentation: the pages whose fenced blocks the docs tier runs, and what each
// block is. Pure (no host, no processes), so that the rules are unit-tested.
//
// The conventions (CONTRIBUTING.md, "Runnable pages"):
//  - a fence's info string is the language and then attributes:
//      ```sh                      run in the page's shell, in order, in its current directory
//      ```sh host                 run on the host, as root, over SSH
//      ```ts file=index.ts        written to that file (relative to the current directory)
//      ```sh fails="text"         must fail, printing text (a situation a message is about)
//      ```sh expect="text"        must print text
//      ```ts norun="reason"       not run; the reason is printed with the run
//      ```sh id=up                a name the tests hang assertions on
//    Shell (sh, bash, shell), TypeScript (ts, typescript) and YAML (yaml, yml) blocks are
//    runnable: a shell block runs unless marked, a TypeScript or YAML block needs `file=` or
//    `norun=`. Other blocks (json, text, a diagram) are not run unless they name a `file=`.
//  - `<!-- test: WHAT … -->` comments state what the page assumes and the tests provide (a
//    checkout, a configured stack, a NIC, a pinned program): see GIVENS.
//  - the one substitution: a page that says "`10.0.0.5` for your host" (any address in
//    backticks followed by "for your host") has that address replaced by the test host's in
//    its blocks. The key is the test host's at ~/.ssh/id_ed25519 of a throw-away HOME, so
//    pages name it as users have it.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";

export type BlockRole = "shell" | "host" | "file" | "norun" | "inert";

export interface DocBlock {
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  role: BlockRole;
  /** For role "file": where the block is written, relative to the current directory. */
  file?: string;
  /** For role "norun": why. */
  reason?: string;
  /** A shell block that must fail, with this text in its output. */
  fails?: string;
  /** Text the block's output must contain. */
  expect?: string;
  id?: string;
  text: string;
}

/** What a page assumes and the tests provide, from `<!-- test: KIND ARGS -->`. */
export type Given = GivenWhat & {
  /** The line of the comment: a given that sets the current directory does so there. */
  line: number;
};
type GivenWhat =
  /**
   * A copy of this repository's working tree at PATH (~ is HOME); `packed`: with the tarball
   * `npm pack` makes there; `plugin`: with the plugin archives `npm run pack:plugin` makes in dist/plugin.
   */
  | { kind: "checkout"; path: string; packed: boolean; plugin: boolean }
  /**
   * The page starts in ~/NAME, a Pulumi project of that runtime (project NAME) with
   * pulumi-netkit installed and a stack `dev` whose provider is configured for the host, as
   * README's first stack does; made afresh for each page that names it.
   */
  | { kind: "stack"; runtime: "typescript" | "yaml"; project: string }
  /** The page starts in what `pulumi new typescript` leaves: Pulumi's TypeScript template, installed, stack `dev`. */
  | { kind: "template"; runtime: "typescript" }
  /** A NIC of that name in the host's netns whose driver supports queue leasing (netdevsim in the tests). */
  | { kind: "nic"; name: string; queues: number }
  /** A tc program pinned at PATH on the host, as a loader would have pinned it. */
  | { kind: "program"; pin: string };

export interface DocPage {
  /** Path relative to the repository root. */
  path: string;
  /** The address the page uses for the user's host, when it states one. */
  hostPlaceholder?: string;
  givens: Given[];
  blocks: DocBlock[];
  /** Rule violations, each "page:line: what"; a page with any fails before it runs. */
  problems: string[];
}

/** The address pages use for the reader's host. */
const DOC_ADDRESS = "10.0.0.5";
const SHELL = new Set(["sh", "bash", "shell"]);
const TYPESCRIPT = new Set(["ts", "typescript"]);
const YAML = new Set(["yaml", "yml"]);
const ATTRS = new Set(["host", "file", "norun", "fails", "expect", "id"]);

/** `key=value`, `key="value with spaces"` and bare flags, after the language word. */
export function parseInfo(info: string): { lang: string; attrs: Record<string, string>; error?: string } {
  const m = /^(\S*)\s*(.*)$/.exec(info.trim())!;
  const attrs: Record<string, string> = {};
  const re = /([a-z]+)(?:=(?:"([^"]*)"|(\S+)))?\s*/gy;
  const rest = m[2]!;
  let a: RegExpExecArray | null;
  while (re.lastIndex < rest.length && (a = re.exec(rest))) attrs[a[1]!] = a[2] ?? a[3] ?? "";
  if (re.lastIndex < rest.length) return { lang: m[1]!, attrs, error: `cannot read the fence's attributes ${JSON.stringify(rest)}` };
  return { lang: m[1]!.toLowerCase(), attrs };
}

/** The givens a page states, in order. */
function parseGiven(args: string[]): GivenWhat | string {
  const [kind, ...rest] = args;
  switch (kind) {
    case "checkout":
      if (!rest[0]) return "checkout needs a path";
      if (rest.slice(1).some((w) => w !== "packed" && w !== "plugin")) return "checkout's words after the path: packed, plugin";
      return { kind, path: rest[0], packed: rest.includes("packed"), plugin: rest.includes("plugin") };
    case "stack":
      if (rest[0] !== "typescript" && rest[0] !== "yaml") return "stack needs a runtime: typescript or yaml";
      if (rest[1] !== undefined && !/^[a-z][a-z0-9-]*$/.test(rest[1])) return "stack's project name: lower case letters, digits and -";
      return { kind, runtime: rest[0], project: rest[1] ?? (rest[0] === "typescript" ? "stack-ts" : "stack-yaml") };
    case "template":
      if (rest[0] !== "typescript") return "template needs a runtime: typescript";
      return { kind, runtime: rest[0] };
    case "nic": {
      const queues = Number(rest[1] ?? 4);
      if (!rest[0] || !Number.isInteger(queues) || queues < 1) return "nic needs a name and a queue count";
      return { kind, name: rest[0], queues };
    }
    case "program":
      if (!rest[0]?.startsWith("/sys/fs/bpf/")) return "program needs a pin under /sys/fs/bpf";
      return { kind, pin: rest[0] };
    default:
      return `unknown given ${JSON.stringify(kind)}`;
  }
}

/** Parses a page's text (path is only for messages). */
export function parsePage(path: string, text: string): DocPage {
  const lines = text.split("\n");
  const blocks: DocBlock[] = [];
  const givens: Given[] = [];
  const problems: string[] = [];
  const prose: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const given = /^<!--\s*test:\s*(.*?)\s*-->\s*$/.exec(line);
    if (given) {
      const g = parseGiven(given[1]!.split(/\s+/));
      if (typeof g === "string") problems.push(`${path}:${i + 1}: ${g}`);
      else givens.push({ ...g, line: i + 1 });
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(line);
    if (!fence) {
      prose.push(line);
      continue;
    }
    const [, indent, marks, info] = fence;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length; i++) {
      const close = lines[i]!;
      if (close.trimStart().startsWith(marks!) && close.trim().replace(/[`~]/g, "") === "") break;
      // Lines of an indented fence (in a list item) lose that indent.
      body.push(close.startsWith(indent!) ? close.slice(indent!.length) : close.trimStart());
    }
    if (i >= lines.length) problems.push(`${path}:${start + 1}: the fence is never closed`);
    const { lang, attrs, error } = parseInfo(info!);
    if (error) problems.push(`${path}:${start + 1}: ${error}`);
    for (const k of Object.keys(attrs)) if (!ATTRS.has(k)) problems.push(`${path}:${start + 1}: unknown attribute ${k}`);
    const block: DocBlock = { page: path, line: start + 1, lang, role: "inert", text: body.join("\n") + "\n" };
    if (attrs.id) block.id = attrs.id;
    if (attrs.fails !== undefined) block.fails = attrs.fails;
    if (attrs.expect !== undefined) block.expect = attrs.expect;
    const runnable = SHELL.has(lang) || TYPESCRIPT.has(lang) || YAML.has(lang);
    if (attrs.norun !== undefined) {
      if (!attrs.norun.trim()) problems.push(`${path}:${start + 1}: norun needs a reason`);
      block.role = "norun";
      block.reason = attrs.norun;
    } else if (attrs.file !== undefined) {
      if (!attrs.file || attrs.file.startsWith("/") || attrs.file.split("/").includes("..")) problems.push(`${path}:${start + 1}: file= needs a path inside the current directory`);
      block.role = "file";
      block.file = attrs.file;
    } else if (SHELL.has(lang)) {
      block.role = "host" in attrs ? "host" : "shell";
    } else if (runnable) {
      problems.push(`${path}:${start + 1}: a ${lang} block is written to a file (file=NAME) or marked norun="why"`);
    }
    if ((block.fails !== undefined || block.expect !== undefined) && block.role !== "shell" && block.role !== "host")
      problems.push(`${path}:${start + 1}: fails= and expect= are for shell blocks`);
    if (block.role === "shell" || block.role === "host") {
      if (/^\s*\$ /m.test(block.text)) problems.push(`${path}:${start + 1}: a runnable shell block holds commands, not a transcript with "$ " prompts`);
    }
    blocks.push(block);
  }
  const statement = /`([^`\s]+)` for your host/.exec(prose.join("\n"));
  const page: DocPage = { path, givens, blocks, problems };
  if (statement) page.hostPlaceholder = statement[1]!;
  // The documentation address stands for the reader's host only where the page says so.
  for (const b of blocks)
    if (!page.hostPlaceholder && b.role !== "norun" && b.role !== "inert" && b.text.includes(DOC_ADDRESS))
      problems.push(`${path}:${b.line}: the block names ${DOC_ADDRESS}: say on the page that it stands for the reader's host ("\`${DOC_ADDRESS}\` for your host")`);
  return page;
}

/** The pages the docs tier runs: README.md, every page under docs/ (the generated reference included), the examples' READMEs. */
export function runnablePagePaths(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".md") ? [join(dir, e.name)] : []));
  const examples = readdirSync(join(root, "examples"), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => join(root, "examples", e.name, "README.md"));
  return [join(root, "README.md"), ...walk(join(root, "docs")).sort(), ...examples.sort()].map((p) => relative(root, p));
}

export function readPage(root: string, path: string): DocPage {
  const file = join(root, path);
  if (!existsSync(file)) return { path, givens: [], blocks: [], problems: [`${path}: missing`] };
  return parsePage(path, readFileSync(file, "utf8"));
}

/** The block's text with the page's stated host address replaced by the test host's. */
export function substitute(page: DocPage, text: string, hostAddress: string): string {
  return page.hostPlaceholder ? text.split(page.hostPlaceholder).join(hostAddress) : text;
}
