#!/usr/bin/env bash
# Static check in `npm test`: no non-test source file over 400 lines unless one of its first five
# lines is a comment carrying the reason, e.g.
#   // over 400 lines: one table generated from libvirt's virerror.h
# Checked: .ts/.tsx/.mjs/.cjs under server/ components/ app/ native/ bench/ scripts/, C/C++ under
# native/, shell scripts under scripts/. Not checked: tests (*.test.ts, *.spec.ts, anything in a
# test/ directory) and what git ignores (build output, data). Prints each offender with its size.
# The rule and the marker are written down in docs/architecture.md.
source "$(dirname "$0")/lib.sh"

limit=400
marker='over 400 lines: *[^ ]'
offenders=0

while IFS= read -r -d '' file; do
  [ -f "$file" ] || continue # listed by git but deleted in the work tree
  lines=$(wc -l <"$file")
  [ "$lines" -le "$limit" ] && continue
  head -n 5 "$file" | grep -Eq "^[[:space:]]*(//|#|/\*|\*).*$marker" && continue
  printf '%6d  %s\n' "$lines" "$file"
  offenders=$((offenders + 1))
done < <(
  git ls-files -z --cached --others --exclude-standard -- server components app native bench scripts \
    | grep -zE '^((server|components|app|native|bench|scripts)/.*\.(ts|tsx|mjs|cjs)|native/.*\.(cc|cpp|c|h|hh)|scripts/.*\.sh)$' \
    | grep -zvE '(\.test\.tsx?|\.spec\.tsx?)$|(^|/)test/'
)

if [ "$offenders" -gt 0 ]; then
  echo "$offenders file(s) over $limit lines without a '// over $limit lines: <reason>' line at the top"
  exit 1
fi
