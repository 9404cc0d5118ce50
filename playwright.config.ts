// Playwright in Debian's Chromium (no browser download) against a real Tandem process started
// by scripts/e2e-server.sh on its own port and data directory.
import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./e2e/chromium";

const port = Number(process.env.TANDEM_E2E_PORT ?? 18089);
export const e2eAdminPassword = "e2e-admin-password";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/e2e",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: chromiumLaunchOptions,
  },
  webServer: {
    command: "bash scripts/e2e-server.sh",
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: { TANDEM_PORT: String(port), TANDEM_ADMIN_PASSWORD: e2eAdminPassword },
  },
});
