// Import boundaries (docs/architecture.md). Layers point one way:
//   app|components → server/contract;  http|realtime → services → drivers → native;
//   contract ← domain ← everything server-side.
// Only the composition root (server/main.ts) picks drivers; tests build their own composition and
// are exempt from that rule. `npm test` and `npm run lint` cruise "." — the same tree ESLint
// lints — so `exclude` below mirrors the `ignores` list in eslint.config.mjs.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "ui-imports-only-contract",
      severity: "error",
      comment: "The browser may only see the shared contract, never server internals.",
      from: { path: "^(app|components)/" },
      to: { path: "^server/(?!contract/)" },
    },
    {
      name: "contract-is-leaf",
      severity: "error",
      comment: "The contract ships to the browser: it may import only zod and itself.",
      from: { path: "^server/contract/", pathNot: "\\.test\\.ts$" },
      to: { pathNot: "^(server/contract/|node_modules/zod/)" },
    },
    {
      name: "domain-is-leaf",
      severity: "error",
      comment: "The domain (ports, errors, ids) is what every layer shares: it sees only the contract.",
      from: { path: "^server/domain/" },
      to: { path: "^(server/(?!domain/|contract/)|native/|app/|components/|bench/|e2e/)" },
    },
    {
      name: "only-main-imports-drivers",
      severity: "error",
      comment: "Drivers are chosen in one place: server/main.ts.",
      from: { path: "^server/", pathNot: ["^server/main\\.ts$", "^server/drivers/", "\\.test\\.ts$", "^server/test/"] },
      to: { path: "^server/drivers/" },
    },
    {
      name: "no-driver-imports-another",
      severity: "error",
      comment:
        "Each driver (vm, container, fake) stands alone behind the GuestDriver port; shared code goes to the domain. netfilter/ (the host firewall for Tandem networks, the port holder, nft pieces) is host plumbing every guest driver may use.",
      from: { path: "^server/drivers/([^/]+)/" },
      to: { path: "^server/drivers/", pathNot: ["^server/drivers/$1/", "^server/drivers/netfilter/"] },
    },
    {
      name: "services-below-transport",
      severity: "error",
      from: { path: "^server/(services|drivers|domain|metrics|db)/" },
      to: { path: "^server/(http|realtime|transport-shared)/" },
    },
    {
      name: "transports-side-by-side",
      severity: "error",
      comment:
        "REST (http) and sockets (realtime) stand beside each other; what both need lives in transport-shared, below them.",
      from: { path: "^server/(http|realtime|transport-shared)/" },
      to: { path: "^server/(http|realtime)/", pathNot: "^server/$1/" },
    },
    {
      name: "drivers-below-services",
      severity: "error",
      from: { path: "^server/drivers/" },
      to: { path: "^server/(services|http|realtime|db)/" },
    },
    {
      name: "native-only-from-drivers",
      severity: "error",
      from: { path: "^(server/(?!drivers/)|app/|components/)", pathNot: "\\.test\\.ts$" },
      to: { path: "^native/" },
    },
    {
      name: "only-bench-imports-bench",
      severity: "error",
      comment: "Figures live in bench/; a test never depends on it (shared helpers sit in server/test).",
      from: { pathNot: "^bench/" },
      to: { path: "^bench/" },
    },
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    exclude: {
      path: "^(node_modules|\\.next|data|test-results|playwright-report|e2e/artifacts)/|^native/[^/]+/build/|^native/node_modules/|^next-env\\.d\\.ts$",
    },
  },
};
