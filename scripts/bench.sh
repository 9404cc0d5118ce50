#!/usr/bin/env bash
# `npm run bench [filter]`: set up as for `npm start`, then run bench/*.bench.ts and write
# bench/results.md.
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
exec tsx bench/run.ts "$@"
