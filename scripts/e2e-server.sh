#!/usr/bin/env bash
# The server Playwright tests against: the production build on its own port, with a fresh
# database in its own data directory (guests are real; the tests delete what they create).
source "$(dirname "$0")/lib.sh"
export TANDEM_DATA_DIR="$ROOT/data/e2e"
export DATABASE_URL="file:$TANDEM_DATA_DIR/tandem.db"
rm -f "$TANDEM_DATA_DIR"/tandem.db*
mkdir -p "$TANDEM_DATA_DIR/images"
# Share the demo images built by setup instead of building them again.
[ -e "$TANDEM_DATA_DIR/images/demo" ] || [ -L "$TANDEM_DATA_DIR/images/demo" ] || ln -s "$ROOT/data/images/demo" "$TANDEM_DATA_DIR/images/demo"
bash scripts/migrate.sh
# Its own container bridge and subnet, so it never meets a developer's running Tandem.
export TANDEM_CONTAINER_BRIDGE=tdme2e0 TANDEM_CONTAINER_SUBNET=10.231.13.0/24
export NODE_ENV=production
# The same bundle under plain node that `npm start` runs (scripts/build-server.mjs), so the
# browser tests exercise what users run, not the tsx development path.
node scripts/build-server.mjs build/e2e/main.mjs >/dev/null
exec node build/e2e/main.mjs
