// Runs only the fake-driver dashboard spec, which starts its own server: no real backends and
// no shared e2e server needed. `npx playwright test -c e2e/fake.config.ts` (after `npx next build`).
import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./chromium";

export default defineConfig({
  testDir: ".",
  testMatch: "dashboard-fake.spec.ts",
  outputDir: "../test-results/e2e-fake",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  use: {
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: chromiumLaunchOptions,
  },
});
