// @ts-check
/**
 * ESLint (flat config). typescript-eslint's type-checked recommended rules over the one
 * TypeScript program `tsc -p .` builds, a few of its strict rules, and import rules: layers
 * that point one way (LAYERS below), no import cycles (type-only imports included), no
 * packages the nearest package.json does not list. `npm run lint` runs it with
 * `prettier --check`; the unit tier runs it too (test/unit/lint.test.ts).
 */
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";
import { layersPlugin } from "./eslint/layers.mjs";

/**
 * The layers, lowest first. A file imports its own layer's files and those of the layers its
 * `may` lists, nothing else of the repository (type-only imports included); a file of a listed
 * folder that no layer names fails the lint. Tests (test/) and examples may import anything.
 */
const base = ["core"];
const codecs = ["ssh", "netlink", "bpf"];
const provider = [...base, ...codecs, "definition", "host", "process", "resources", "surface"];
const LAYERS = {
  // Shared by everything: error classes, the logger interface, the catalogue of kernel features.
  core: { files: ["provider/errors.ts", "provider/log.ts", "provider/features.ts"], may: [] },
  // The SSH transport, and the wire codecs (netlink messages, bpf() calls); none knows another.
  ssh: { files: ["provider/ssh/"], may: base },
  netlink: { files: ["provider/netlink/"], may: base },
  bpf: { files: ["provider/bpf/"], may: base },
  // How a resource is declared, checked, diffed and documented: knows no host.
  definition: { files: ["provider/definition/"], may: base },
  // One managed host: requests built from the codecs, run over SSH.
  host: { files: ["provider/host/"], may: [...base, ...codecs] },
  // The provider process: the connection resources declare, stack config, the host pool, the engine's log.
  process: {
    files: ["provider/connection.ts", "provider/config.ts", "provider/runtime.ts", "provider/engine-log.ts"],
    may: [...base, ...codecs, "definition", "host"],
  },
  // The resources: definitions, what they ask of a host, their controllers.
  resources: { files: ["provider/resources/"], may: [...base, ...codecs, "definition", "host", "process"] },
  // The provider's exports and the artefacts rendered from the registered resources.
  surface: { files: ["provider/index.ts", "provider/artefacts.ts"], may: [...base, ...codecs, "definition", "host", "process", "resources"] },
  plugin: { files: ["provider/plugin/"], may: provider },
  sdk: { files: ["sdk/"], may: [...base, ...codecs, "definition", "process", "resources"] },
  // Development code: test hosts, the harness shared with tests, the benchmark and the scripts; never the tests.
  testhost: { files: ["testhost/"], may: [] },
  harness: { files: ["harness/"], may: ["testhost"] },
  bench: { files: ["bench/"], may: [...provider, "sdk", "testhost", "harness"] },
  scripts: { files: ["scripts/"], may: [...provider, "sdk", "testhost", "harness"] },
};
export const layerOptions = { root: import.meta.dirname, layers: LAYERS };

export default defineConfig(
  { ignores: ["dist/", "node_modules/", ".pulumi-state/", ".pulumi-work/", "examples/*/node_modules/", "examples/*/bin/", "test/fixtures/pulumi-template-typescript/"] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The root tsconfig for every file, examples included: it maps `pulumi-netkit` to sdk/
        // (an example's own tsconfig resolves it from an install).
        project: "./tsconfig.json",
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { "import-x": importX, layers: layersPlugin },
    settings: {
      // Without these, import-x parses no .ts dependency and every import rule sees nothing.
      "import-x/extensions": [".ts", ".js", ".mjs", ".cjs"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
    },
    rules: {
      // Modules form a graph, never a cycle, and layers point one way; type-only imports count.
      "layers/no-cycle": ["error", layerOptions],
      "layers/imports": ["error", layerOptions],
      "import-x/no-self-import": "error",
      "import-x/no-duplicates": "error",
      // The package ships provider/ and sdk/: they may use dependencies and peerDependencies only.
      // Everything else is development code. Examples are checked against their own package.json.
      "import-x/no-extraneous-dependencies": [
        "error",
        { devDependencies: ["eslint.config.mjs", "eslint/**", "test/**", "testhost/**", "harness/**", "scripts/**", "bench/**", "examples/**"] },
      ],

      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          args: "after-used",
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
      // `interface NetkitPair extends OutputPropsOf<…> {}` names a type; it is not an empty one.
      "@typescript-eslint/no-empty-object-type": ["error", { allowInterfaces: "with-single-extends" }],
      // From the strict set: rejections are unknown, switches over unions are exhaustive,
      // awaited returns inside try keep the catch and the stack, deprecated APIs are named.
      "@typescript-eslint/use-unknown-in-catch-callback-variable": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      "@typescript-eslint/no-deprecated": "error",
      eqeqeq: ["error", "smart"],

      // Dynamic-provider methods and Pulumi programs are async by contract, awaited or not.
      "@typescript-eslint/require-await": "off",
      // The regular expressions with control characters match them on purpose (to reject or escape them).
      "no-control-regex": "off",
    },
  },
  {
    files: ["**/*.{js,mjs,cjs}"],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
