#!/usr/bin/env bash
# `npm test`: the same set-up as `npm start`, then every check and every test runner. Runs all
# stages even when one fails, and ends with one plain line: `N passed, N failed, N skipped`.
# TANDEM_TEST_STRICT=1 (.ci/run sets it): a test skipped for a missing backend fails the run
# (server/test/backends.ts, scripts/count-results.mjs).
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh

results="$ROOT/test-results"
rm -rf "$results" && mkdir -p "$results"
passed=0
failed=0
skipped=0

# check NAME CMD... — a static check counts as one test.
check() {
  local name=$1; shift
  step "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}

# count_json FILE — adds a runner's JSON report (vitest or Playwright) to the totals.
count_json() {
  local counts p f s
  if counts=$(node scripts/count-results.mjs "$1") && read -r p f s <<<"$counts"; then
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  else
    echo "FAILED: no readable report in $1"; failed=$((failed + 1))
  fi
}

check "typecheck (tsc)" tsc --noEmit -p .
check "lint (eslint)" eslint --max-warnings=0 .
check "format (prettier --check)" prettier --check --log-level=warn .
# ESLint, prettier and dependency-cruiser all read "." minus generated and git-ignored paths.
check "import boundaries (dependency-cruiser)" depcruise --config .dependency-cruiser.cjs .
check "file size (≤ 400 lines, or a reason at the top)" bash scripts/check-file-size.sh

# What exists on the host before the first test stage is not this run's (see scripts/leftovers.sh).
bash scripts/leftovers.sh snapshot "$results/host-before.txt"

for project in unit integration; do
  step "vitest $project"
  vitest run --project "$project" --reporter=default --reporter=json --outputFile="$results/vitest-$project.json" || true
  count_json "$results/vitest-$project.json"
done

step "playwright e2e"
PLAYWRIGHT_JSON_OUTPUT_NAME="$results/playwright.json" playwright test --reporter=list,json || true
count_json "$results/playwright.json"
bash scripts/e2e-cleanup.sh "$results/host-before.txt"
check "nothing left behind (namespaces, links, mounts, cgroups, nft, libvirt, conmon, tmp)" \
  bash scripts/leftovers.sh compare "$results/host-before.txt"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
