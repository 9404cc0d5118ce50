// Import boundaries (design.md): app/components → server/contract only; only the composition
// root (server/main.ts) picks drivers; layers point one way: http|realtime → services → drivers
// → native. Tests build their own composition and are exempt from the driver rule.
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
      from: { path: "^server/contract/" },
      to: { path: "^(server/(?!contract/)|native/)" },
    },
    {
      name: "only-main-imports-drivers",
      severity: "error",
      comment: "Drivers are chosen in one place: server/main.ts.",
      from: { path: "^server/", pathNot: ["^server/main\\.ts$", "^server/drivers/", "\\.test\\.ts$", "^server/test/"] },
      to: { path: "^server/drivers/" },
    },
    {
      name: "services-below-transport",
      severity: "error",
      from: { path: "^server/(services|drivers|domain|metrics|db)/" },
      to: { path: "^server/(http|realtime)/" },
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
    { name: "no-circular", severity: "error", from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    exclude: { path: "(^|/)(node_modules|\\.next|build|data)/" },
  },
};
