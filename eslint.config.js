// One flat config for the whole workspace; packages run `eslint .` from their own folder.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/dist/**", "**/.next/**", "**/.turbo/**", "**/drizzle/**", "**/next-env.d.ts", "**/.data/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: a promise is awaited or explicitly voided, and never handed to a place that ignores it.
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ["*.js", "*.ts"] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] }] },
      ],
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  {
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    // Baileys is an implementation detail of the gateway's whatsapp/ folder (and of the simulator that mimics the
    // server it talks to): everything else works with our own types.
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "@whiskeysockets/baileys", message: "Baileys stays inside apps/gateway/src/whatsapp/ (and packages/wa-sim)." }],
          patterns: [{ group: ["@whiskeysockets/baileys/*"], message: "Baileys stays inside apps/gateway/src/whatsapp/ (and packages/wa-sim)." }],
        },
      ],
    },
  },
  {
    files: ["apps/gateway/src/whatsapp/**", "packages/wa-sim/**"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["**/cli/**", "**/scripts/**", "tooling/launcher/**", "**/*.test.ts", "**/e2e/**", "**/bench/**"],
    rules: { "no-console": "off" },
  },
  {
    // The environment is read (and parsed) in each app's or package's env.ts only; tests, test helpers, scripts,
    // CLIs, tooling and config files run outside the apps and read what they need.
    files: ["**/*.ts", "**/*.tsx"],
    ignores: [
      "**/env.ts",
      "**/*.test.ts",
      "**/test/**",
      "**/testing.ts",
      "**/testing/**",
      "**/test-*.ts",
      "**/e2e/**",
      "**/cli/**",
      "**/cli.ts",
      "**/scripts/**",
      "**/*.config.ts",
      "tooling/**",
    ],
    rules: {
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read the environment in this app's or package's env.ts." },
      ],
    },
  },
);
