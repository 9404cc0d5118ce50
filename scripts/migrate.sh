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
  # The database holds password and session hashes: created 0600 (Tandem's umask), and an
  # existing file from before that rule is closed too. Tandem applies the same at start-up.
  (umask 077 && prisma migrate deploy >/tmp/tandem-migrate.log 2>&1) || { cat /tmp/tandem-migrate.log; exit 1; }
  for f in "$db_file" "$db_file-wal" "$db_file-shm" "$db_file-journal"; do
    if [ -f "$f" ]; then chmod 600 "$f"; fi
  done
  echo "$mig_hash" > "$stamp"
fi
