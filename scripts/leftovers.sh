#!/usr/bin/env bash
# What a test run left on the host. `npm test` takes a snapshot before its first test stage and
# compares at the end: anything Tandem-shaped that exists now and did not then is a leftover, and
# the check fails naming each one. What was there before (a developer's running Tandem, a
# previous run's debris) is not this run's and is not reported — nor removed: this script only
# looks.
#
#   leftovers.sh snapshot FILE   write the current inventory to FILE
#   leftovers.sh compare FILE    print what is new since FILE; exit 1 if anything is
#   leftovers.sh list            print the current inventory
#
# One line per object, "<kind> <name>". The kinds cover what tests and the drivers make: network
# namespaces, links (bridges, veths), mounts under the repo, the temp dir, /run/netns or with
# "tandem" in the path, loop devices, cgroups and nft tables with "tandem" in the name, libvirt
# domains, networks and storage pools, conmon and Tandem server processes (tsx, or the bundle npm start and e2e
# run; by pid, so a restart is new), the netns test rig's servers (server/test/netns-rig.ts: tdt-up-/tdt-cl- in their arguments),
# tandem-* entries in the temp dir (tests make theirs with mkdtemp(os.tmpdir()/tandem-…)) and
# guest directories in the e2e server's data dir (data/e2e), and net.ipv4.ip_forward. Tables libvirt or iptables make as
# a side effect (ip filter, ip nat) are not Tandem's and not listed.
set -u # no -e/pipefail: a probe that fails (a tool or directory missing) lists nothing
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TMP="${TMPDIR:-/tmp}"
TMP="${TMP%/}"

# Each probe prints "<kind> <name>" lines; a tool that is missing or fails prints nothing (the
# integration stage already refuses to run without its backends).
inventory() {
  {
    ip netns list 2>/dev/null | awk '{print "netns " $1}'
    ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print "link " $2}'
    findmnt -rn -o TARGET 2>/dev/null | awk -v root="$ROOT/" -v tmp="$TMP/" '
      index($0, root) == 1 || index($0, tmp) == 1 || index($0, "/run/netns/") == 1 || /tandem/ {print "mount " $0}'
    losetup -ln -O BACK-FILE 2>/dev/null | awk 'NF {print "loop " $0}'
    find /sys/fs/cgroup -maxdepth 3 -type d -path '*tandem*' 2>/dev/null | sed 's|^/sys/fs/cgroup|cgroup |'
    nft list tables 2>/dev/null | awk '$3 ~ /tandem/ {print "nft " $2 " " $3}'
    if command -v virsh >/dev/null; then
      virsh -q list --all --name 2>/dev/null | awk 'NF {print "libvirt-domain " $1}'
      virsh -q net-list --all --name 2>/dev/null | awk 'NF {print "libvirt-network " $1}'
      virsh -q pool-list --all --name 2>/dev/null | awk 'NF {print "libvirt-pool " $1}'
    fi
    ps -eo pid=,comm=,args= 2>/dev/null | awk '
      $2 == "conmon" || /server\/main\.ts/ || /build\/[a-z]+\/main\.mjs/ || /tdt-(up|cl)-/ {pid = $1; $1 = ""; $2 = ""; sub(/^ +/, ""); print "process " pid " " substr($0, 1, 120)}'
    find "$TMP" -mindepth 1 -maxdepth 1 -name 'tandem-*' 2>/dev/null | sed 's|^|tmp |'
    # libvirt turns forwarding on host-wide for a NAT network and never off: a change is a leftover.
    echo "sysctl net.ipv4.ip_forward=$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null)"
    find "$ROOT/data/e2e/containers" "$ROOT/data/e2e/vms" -mindepth 1 -maxdepth 1 2>/dev/null | sed 's|^|guest-dir |'
  } | LC_ALL=C sort -u
}

case "${1:-}" in
  snapshot)
    inventory >"${2:?usage: leftovers.sh snapshot FILE}"
    ;;
  compare)
    before="${2:?usage: leftovers.sh compare FILE}"
    [ -r "$before" ] || { echo "no snapshot at $before" >&2; exit 2; }
    new=$(LC_ALL=C comm -13 "$before" <(inventory))
    if [ -n "$new" ]; then
      echo "left behind by this run (absent from the snapshot taken before it):"
      sed 's/^/  /' <<<"$new"
      exit 1
    fi
    echo "nothing left behind"
    ;;
  list) inventory ;;
  *)
    echo "usage: leftovers.sh snapshot FILE | compare FILE | list" >&2
    exit 2
    ;;
esac
