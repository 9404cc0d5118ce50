#!/usr/bin/env bash
# Applies committed migrations to the SQLite file in TANDEM_DATA_DIR (or DATABASE_URL), only
# when the migrations changed since the last run against that file.
source "$(dirname "$0")/lib.sh"
db_file="${DATABASE_URL#file:}"
mig_hash=$(hash_of prisma/migrations)
stamp="$db_file.migrated"
if [ -f "$db_file" ] && unchanged "$stamp" "$mig_hash"; then
  step "database up to date"
else
  step "prisma migrate deploy → $db_file"
  prisma migrate deploy >/tmp/tandem-migrate.log 2>&1 || { cat /tmp/tandem-migrate.log; exit 1; }
  echo "$mig_hash" > "$stamp"
fi
