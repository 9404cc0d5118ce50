#!/usr/bin/env bash
# `npm run bench [filter]`: set up as for `npm start`, then the bench's own baselines (Podman,
# Incus: scripts/bench-setup.sh, never part of `npm start`/`npm test`), then run
# bench/*.bench.ts and write bench/results.md (bench/results-<filter>.md for a filtered run).
source "$(dirname "$0")/lib.sh"
bash scripts/setup.sh
bash scripts/bench-setup.sh
exec tsx bench/run.ts "$@"
