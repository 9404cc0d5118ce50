// Checks that every real backend is here (no test may skip one away), then migrates one template
// SQLite file per test run; each test server copies it (fast, and exactly the committed
// migrations — no schema is pushed behind Prisma's back).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { missingBackends, STRICT } from "./backends";

export default function setup() {
  const allowMissing = process.env.TANDEM_TEST_ALLOW_MISSING_BACKENDS === "1";
  if (allowMissing && STRICT) {
    throw new Error("TANDEM_TEST_STRICT=1 and TANDEM_TEST_ALLOW_MISSING_BACKENDS=1 contradict each other");
  }
  const missing = allowMissing ? [] : missingBackends();
  if (missing.length > 0) {
    throw new Error(
      `the integration tests need real backends; missing:\n  ${missing.join("\n  ")}\n` +
        "(run `npm test`, which sets them up; TANDEM_TEST_ALLOW_MISSING_BACKENDS=1 skips their tests visibly)",
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-template-"));
  const file = path.join(dir, "template.db");
  execFileSync("npx", ["prisma", "migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: `file:${file}` },
    stdio: "pipe",
  });
  process.env.TANDEM_TEST_TEMPLATE_DB = file;
  return () => rmSync(dir, { recursive: true, force: true });
}
