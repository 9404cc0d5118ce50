// ESLint flat config: Next's core-web-vitals + TypeScript rules for the whole repo (".").
// `ignores` mirrors .gitignore and the `exclude` of .dependency-cruiser.cjs, so lint and the
// import-boundary check read the same files.
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const config = [
  ...nextVitals,
  ...nextTs,
  {
    ignores: [
      ".next/**",
      "node_modules/**",
      "data/**",
      "native/*/build/**",
      "test-results/**",
      "playwright-report/**",
      "e2e/artifacts/**",
      "next-env.d.ts",
    ],
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    // Scripts, benchmarks and tests may print.
    files: ["scripts/**", "bench/**", "**/*.test.ts", "e2e/**"],
    rules: { "no-console": "off" },
  },
];

export default config;
