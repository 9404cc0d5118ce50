#!/usr/bin/env bash
# `npm start`: set everything up (idempotent), then serve the dashboard.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
step "starting Tandem on http://${TANDEM_HOST:-127.0.0.1}:${TANDEM_PORT:-8080} (ready after $(elapsed_ms) ms of setup)"
export NODE_ENV=production
exec tsx server/main.ts
