import { defineConfig, globalIgnores } from "eslint/config";
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier/flat";
import tsdoc from "eslint-plugin-tsdoc";

export default defineConfig(
  globalIgnores([
    "**/dist/",
    "coverage/",
    "docs/",
    "**/node_modules/",
    ".bench/",
    ".stryker-tmp/",
    "reports/",
  ]),
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: [
            "eslint.config.js",
            "stryker.config.mjs",
            "scripts/stryker-mocha-12.mjs",
          ],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/explicit-module-boundary-types": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["spec/**/*.ts", "bench/**/*.ts", "samples/**/*.ts", "scripts/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/explicit-module-boundary-types": "off",
    },
  },
  { plugins: { tsdoc }, rules: { "tsdoc/syntax": "error" } },
  {
    // Plain JavaScript for the mutation run's tooling: typed through JSDoc, not TSDoc.
    files: ["stryker.config.mjs", "scripts/stryker-mocha-12.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    rules: { "tsdoc/syntax": "off" },
  },
  prettier,
);
