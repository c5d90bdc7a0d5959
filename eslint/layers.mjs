// @ts-check
/**
 * The repository's own import rules, for eslint.config.mjs:
 *  - `layers/imports`: a file imports only files of its own layer and of the layers the table
 *    lets it use (type-only imports included: a type is a dependency too). Every file under a
 *    layered folder belongs to a layer.
 *  - `layers/no-cycle`: no import cycles, type-only imports included (import-x/no-cycle does
 *    not follow them, so a cycle of types passes it).
 * Only relative imports are followed: the repository's files import each other no other way.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * @typedef {{ files: string[], may: string[] }} Layer
 * @typedef {{ root: string, layers: Record<string, Layer> }} LayerOptions
 */

const EXTENSIONS = ["", ".ts", ".d.ts", ".js", ".mjs", "/index.ts"];

/** The file a relative specifier names, or undefined (a package, or nothing on disk). */
function resolveSpecifier(from, spec) {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(from), spec);
  for (const ext of EXTENSIONS) {
    const p = base + ext;
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/** The relative specifiers a file's AST imports or re-exports (ESLint's tree). */
function specifiersOfEstree(program) {
  /** @type {Array<{ spec: string, node: import("eslint").Rule.Node }>} */
  const out = [];
  for (const st of program.body) {
    const s = /** @type {any} */ (st);
    if ((s.type === "ImportDeclaration" || s.type === "ExportAllDeclaration" || s.type === "ExportNamedDeclaration") && s.source) out.push({ spec: s.source.value, node: s });
    else if (s.type === "TSImportEqualsDeclaration" && s.moduleReference.type === "TSExternalModuleReference") out.push({ spec: s.moduleReference.expression.value, node: s });
  }
  return out;
}

/** The relative specifiers of a TypeScript file on disk (for files other than the one linted). */
function specifiersOfFile(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const out = [];
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) out.push(st.moduleSpecifier.text);
    else if (ts.isImportEqualsDeclaration(st) && ts.isExternalModuleReference(st.moduleReference) && ts.isStringLiteral(st.moduleReference.expression))
      out.push(st.moduleReference.expression.text);
  }
  return out;
}

/** @param {LayerOptions} o */
function layerOf(o, file) {
  const rel = relative(o.root, file).split("\\").join("/");
  let best;
  let bestLen = -1;
  for (const [name, layer] of Object.entries(o.layers))
    for (const f of layer.files)
      if ((f.endsWith("/") ? rel.startsWith(f) : rel === f) && f.length > bestLen) {
        best = name;
        bestLen = f.length;
      }
  return best;
}

/** @param {LayerOptions} o */
function governed(o, file) {
  const rel = relative(o.root, file).split("\\").join("/");
  const tops = new Set(Object.values(o.layers).flatMap((l) => l.files.map((f) => f.split("/")[0] + (f.includes("/") ? "/" : ""))));
  return [...tops].some((t) => (t.endsWith("/") ? rel.startsWith(t) : rel === t));
}

/** @type {import("eslint").Rule.RuleModule} */
const imports = {
  meta: { type: "problem", schema: false, docs: { description: "imports follow the layer table (type-only imports included)" } },
  create(context) {
    const o = /** @type {LayerOptions} */ (context.options[0]);
    const file = context.physicalFilename;
    if (!governed(o, file)) return {};
    const mine = layerOf(o, file);
    const show = (p) => relative(o.root, p);
    return {
      Program(program) {
        if (!mine) {
          context.report({ node: program, message: `${show(file)} belongs to no layer: add it to LAYERS in eslint.config.mjs` });
          return;
        }
        const may = new Set([mine, ...o.layers[mine].may]);
        for (const { spec, node } of specifiersOfEstree(program)) {
          const target = resolveSpecifier(file, spec);
          if (!target || relative(o.root, target).startsWith("..") || target.includes("/node_modules/")) continue;
          const theirs = layerOf(o, target);
          if (theirs && may.has(theirs)) continue;
          context.report({
            node,
            message:
              `${show(file)} (layer ${mine}) may not import ${show(target)} (${theirs ? `layer ${theirs}` : "in no layer"}): ` +
              `${mine} builds only on ${o.layers[mine].may.join(", ") || "nothing else of this repository"} (LAYERS in eslint.config.mjs)`,
          });
        }
      },
    };
  },
};

/** The repository's TypeScript files (not dependencies, build output or work directories). */
function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = resolve(dir, e.name);
    if (e.isDirectory()) return e.name.startsWith(".") || e.name === "node_modules" || e.name === "dist" ? [] : sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

/** The repository's import graph (file → files it imports), read from disk once per lint run. */
const graphs = new Map();

function graphOf(root) {
  let g = graphs.get(root);
  if (!g) {
    g = new Map(
      sourceFiles(root).map((f) => [
        f,
        specifiersOfFile(f)
          .map((s) => resolveSpecifier(f, s))
          .filter((t) => t && !t.includes("/node_modules/")),
      ]),
    );
    graphs.set(root, g);
  }
  return g;
}

/** A path of imports from `from` to `to` (both included), or undefined. */
function pathBetween(graph, from, to, self, selfEdges) {
  const prev = new Map([[from, ""]]);
  const queue = [from];
  while (queue.length) {
    const cur = /** @type {string} */ (queue.shift());
    if (cur === to) {
      const path = [];
      for (let p = cur; p; p = prev.get(p)) path.unshift(p);
      return path;
    }
    for (const next of cur === self ? selfEdges : (graph.get(cur) ?? []))
      if (!prev.has(next)) {
        prev.set(next, cur);
        queue.push(next);
      }
  }
  return undefined;
}

/** @type {import("eslint").Rule.RuleModule} */
const noCycle = {
  meta: { type: "problem", schema: false, docs: { description: "no import cycles, type-only imports included" } },
  create(context) {
    const root = /** @type {LayerOptions} */ (context.options[0]).root;
    const file = context.physicalFilename;
    if (!file.endsWith(".ts")) return {};
    return {
      Program(ast) {
        const graph = graphOf(root);
        const mine = specifiersOfEstree(ast).map((x) => ({ ...x, target: resolveSpecifier(file, x.spec) }));
        const edges = mine.map((x) => x.target).filter((t) => t && t !== file && !t.includes("/node_modules/"));
        for (const { node, target } of mine) {
          if (!target || target === file || target.includes("/node_modules/")) continue;
          const back = pathBetween(graph, target, file, file, edges);
          if (!back) continue;
          const cycle = [file, ...back].map((p) => relative(root, p)).join(" → ");
          context.report({ node, message: `import cycle (type-only imports count): ${cycle}` });
        }
      },
    };
  },
};

export const layersPlugin = { meta: { name: "layers" }, rules: { imports, "no-cycle": noCycle } };
