// @ts-check
/**
 * ESLint (flat config). typescript-eslint's type-checked recommended rules over the one
 * TypeScript program `tsc -p .` builds, a few of its strict rules, and import rules: no
 * import cycles, no packages the nearest package.json does not list. `npm run lint` runs
 * it with `prettier --check`.
 */
import js from "@eslint/js";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import { importX } from "eslint-plugin-import-x";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist/", "node_modules/", ".pulumi-state/", ".pulumi-work/", "examples/*/node_modules/", "examples/*/bin/"] },
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
    plugins: { "import-x": importX },
    settings: {
      // Without these, import-x parses no .ts dependency and every import rule sees nothing.
      "import-x/extensions": [".ts", ".js", ".mjs", ".cjs"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "./tsconfig.json" })],
    },
    rules: {
      // Modules form a graph, never a cycle. (Type-only imports are not followed.)
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-self-import": "error",
      "import-x/no-duplicates": "error",
      // The package ships provider/ and sdk/: they may use dependencies and peerDependencies only.
      // Everything else is development code. Examples are checked against their own package.json.
      "import-x/no-extraneous-dependencies": ["error", { devDependencies: ["eslint.config.mjs", "test/**", "testhost/**", "harness/**", "scripts/**", "bench/**", "examples/**"] }],

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
