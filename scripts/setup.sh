#!/usr/bin/env bash
# Idempotent set-up shared by `npm start` and `npm test`: host packages, npm dependencies,
# native addons, Prisma client and migrations, the Next build, libvirt daemons and the offline
# demo images. Each step is skipped quickly when its inputs have not changed.
source "$(dirname "$0")/lib.sh"

step "host packages"
bash scripts/host/packages.sh

lock_hash=$(hash_of package-lock.json)
if ! unchanged node_modules/.tandem-lock "$lock_hash"; then
  step "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.tandem-lock
else
  step "npm dependencies up to date"
fi

bash scripts/build-native.sh

schema_hash=$(hash_of prisma/schema.prisma package-lock.json)
if ! unchanged node_modules/.tandem-prisma "$schema_hash"; then
  step "prisma generate"
  prisma generate >/dev/null
  echo "$schema_hash" > node_modules/.tandem-prisma
fi

bash scripts/migrate.sh

if [ "${TANDEM_UI:-on}" = "on" ]; then
  ui_hash=$(hash_of app components server/contract next.config.mjs postcss.config.mjs tsconfig.json package-lock.json)
  if ! unchanged .next/.tandem-build "$ui_hash"; then
    step "next build"
    next build >/tmp/tandem-next-build.log 2>&1 || { cat /tmp/tandem-next-build.log; exit 1; }
    echo "$ui_hash" > .next/.tandem-build
  else
    step "web app build up to date"
  fi
fi

if [[ "${TANDEM_DRIVERS:-libvirt,oci}" == *libvirt* ]]; then
  step "libvirt daemons"
  bash scripts/host/ensure-libvirt.sh
fi

step "demo images"
bash scripts/host/build-demo-images.sh "$TANDEM_DATA_DIR/images/demo"
step "setup done in $(elapsed_ms) ms"
