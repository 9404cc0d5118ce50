#!/usr/bin/env bash
# `npm start`: set everything up (idempotent), bundle the server, then serve the dashboard.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
# The server runs as one esbuild bundle under plain node, not through tsx: tsx's loader thread
# and esbuild service cost ~30 MiB of idle RSS (scripts/build-server.mjs). Rebuilt only when
# the sources, the dependencies or the build script changed; `npm run serve`/`dev` keep tsx.
server_hash=$(hash_of server native scripts/build-server.mjs package-lock.json tsconfig.json)
if ! unchanged build/server/.tandem-build "$server_hash" || [ ! -f build/server/main.mjs ]; then
  step "bundling the server"
  node scripts/build-server.mjs build/server/main.mjs >/dev/null
  echo "$server_hash" > build/server/.tandem-build
else
  step "server bundle up to date"
fi
step "starting Tandem on http://${TANDEM_HOST:-127.0.0.1}:${TANDEM_PORT:-8080} (ready after $(elapsed_ms) ms of setup)"
export NODE_ENV=production
exec node build/server/main.mjs
