# Shared helpers for the setup, start, test and bench scripts. Source, don't run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TANDEM_DATA_DIR="${TANDEM_DATA_DIR:-$ROOT/data}"
export TANDEM_DATA_DIR="$(mkdir -p "$TANDEM_DATA_DIR" && cd "$TANDEM_DATA_DIR" && pwd)"
export DATABASE_URL="${DATABASE_URL:-file:$TANDEM_DATA_DIR/tandem.db}"
export NEXT_TELEMETRY_DISABLED=1
export PATH="$ROOT/node_modules/.bin:$PATH"

_t0=$(date +%s%N)
step() { printf '==> %s\n' "$*"; }
elapsed_ms() { echo $(( ($(date +%s%N) - _t0) / 1000000 )); }

# hash_of PATH... — one hash over the contents of files (dirs recursed), for change detection.
hash_of() {
  find "$@" -type f ! -path '*/node_modules/*' ! -path '*/build/*' ! -path '*/.next/*' -print0 2>/dev/null \
    | sort -z | xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-32
}

# unchanged STAMPFILE HASH — true when the stamp already holds HASH.
unchanged() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
