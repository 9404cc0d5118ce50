#!/usr/bin/env bash
# The bench's own set-up (called by `npm run bench`, never by `npm start` or `npm test`): installs
# the tools a user would pick instead of Tandem, so bench/ can measure them in the same run —
# Podman (Debian main) and Incus (bookworm-backports; LXD 5.0 from main where backports is not
# reachable). Idempotent: a fast no-op when everything is there. The daemons themselves are
# started and stopped by the benches (bench/baselines/*), never left running by this script.
source "$(dirname "$0")/lib.sh"

have() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

step "bench baselines: podman"
if ! have podman; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends podman >/dev/null
fi

step "bench baselines: incus (bookworm-backports)"
if ! have incus-base && ! have lxd; then
  list=/etc/apt/sources.list.d/tandem-bench-backports.list
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deb http://deb.debian.org/debian bookworm-backports main" > "$list"
  fi
  apt-get update -qq || true
  if ! apt-get install -y -qq --no-install-recommends -t bookworm-backports incus-base incus-client >/dev/null; then
    echo "bench-setup: Incus from bookworm-backports unavailable; trying LXD 5.0 from main" >&2
    apt-get install -y -qq --no-install-recommends lxd lxd-client >/dev/null ||
      echo "bench-setup: neither Incus nor LXD installed; the bench reports those rows as missing" >&2
  fi
fi
step "bench set-up done in $(elapsed_ms) ms"
