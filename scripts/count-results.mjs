// Reads a vitest or Playwright JSON report and prints "PASSED FAILED SKIPPED" for scripts/test.sh
// (skipped = skipped, pending and todo tests). A report that ran no test at all counts as one
// failure: an empty run proves nothing. A test file that failed outside any test (an import that
// threw, a failing hook) counts as one failure even when no test inside it is marked failed.
// Under TANDEM_TEST_STRICT=1 every skipped test is also a failure, and is named on stderr: the
// only skips in this project are for a missing backend (server/test/backends.ts), which a strict
// run must have.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2], "utf8"));
const strict = process.env.TANDEM_TEST_STRICT === "1";
const SKIPPED = new Set(["skipped", "pending", "todo", "disabled"]);
let passed = 0;
let failed = 0;
/** Names of the skipped tests, for the strict-mode message. */
const skipped = [];

if (Array.isArray(report.testResults) && "numPassedTests" in report) {
  // vitest (jest-compatible shape)
  for (const file of report.testResults) {
    const tests = file.assertionResults ?? [];
    for (const t of tests) {
      if (t.status === "passed") passed++;
      else if (t.status === "failed") failed++;
      else if (SKIPPED.has(t.status)) skipped.push(`${file.name} › ${t.fullName ?? t.title}`);
    }
    if (file.status === "failed" && !tests.some((t) => t.status === "failed")) {
      failed++;
      console.error(`FAILED outside any test: ${file.name}: ${(file.message ?? "").split("\n")[0]}`);
    }
  }
  if (report.success === false && failed === 0) failed = 1;
} else if (report.stats) {
  // Playwright: walk the suites for the skipped tests' names; the totals come from stats.
  passed = report.stats.expected + (report.stats.flaky ?? 0);
  failed = report.stats.unexpected + (report.errors?.length ?? 0);
  const walk = (suite, trail) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status === "skipped") skipped.push([...trail, spec.title].join(" › "));
      }
    }
    for (const s of suite.suites ?? []) walk(s, [...trail, s.title]);
  };
  for (const s of report.suites ?? []) walk(s, [s.title]);
  if (skipped.length !== report.stats.skipped) {
    // The tree and the totals disagree: trust the totals, name what was found.
    while (skipped.length < report.stats.skipped) skipped.push("(a skipped test)");
  }
} else {
  process.exit(1);
}
if (passed + failed === 0) failed = 1;
if (strict && skipped.length > 0) {
  for (const s of skipped) console.error(`FAILED (TANDEM_TEST_STRICT=1: nothing may skip): ${s}`);
  failed += skipped.length;
}
console.log(`${passed} ${failed} ${skipped.length}`);
