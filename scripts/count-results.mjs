// Reads a vitest or Playwright JSON report and prints "PASSED FAILED" for scripts/test.sh.
// A report that ran no test at all counts as one failure: an empty run proves nothing.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2], "utf8"));
let passed, failed;
if ("numPassedTests" in report) {
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.success === false && report.numFailedTests === 0 ? 1 : 0);
} else if (report.stats) {
  passed = report.stats.expected + (report.stats.flaky ?? 0);
  failed = report.stats.unexpected + (report.errors?.length ?? 0);
} else {
  process.exit(1);
}
if (passed + failed === 0) failed = 1;
console.log(`${passed} ${failed}`);
