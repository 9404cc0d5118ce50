#!/usr/bin/env bash
# After the e2e run: remove what its server made on the host beyond the guests the specs delete
# themselves — its own bridge, cgroup parents left empty, and the VM host guard table when the
# run made it. Never fails the run; never touches anything still in use (rmdir refuses non-empty
# cgroups) or there before the run.
#   e2e-cleanup.sh [SNAPSHOT]   SNAPSHOT: `leftovers.sh snapshot` output from before the run
ip link show tdme2e0 >/dev/null 2>&1 && ip link del tdme2e0 2>/dev/null
# The e2e server's formatted spare container disk (kept ready for the next create) goes with it.
rm -f "$(dirname "$0")/../data/e2e/containers/".spare-disk-*.ext4
for d in /sys/fs/cgroup/*/tandem /sys/fs/cgroup/tandem; do
  [ -d "$d" ] && rmdir "$d" 2>/dev/null
done
# The e2e server guards its VMs with the default table, which outlives a Tandem by design (its VMs
# keep running); once the specs have deleted them it guards nothing, unless it predates the run.
# Its container network's tables and the Tandem networks' firewall (tandem_net; default names)
# likewise, once its guests are gone.
if [ -n "${1:-}" ] && [ -r "$1" ]; then
  for table in "inet tandem_vm_guard" "ip tandem" "bridge tandem" "inet tandem_net" "bridge tandem_net"; do
    grep -qx "nft $table" "$1" || nft delete table $table 2>/dev/null
  done
fi
# The e2e server starts on a fresh database, so it makes its default NAT network (a libvirt
# network, tandem-net-<id>) each run: remove the ones that did not exist before the run. libvirt
# turned ip_forward on for it; put the setting back once no NAT network is active.
if [ -n "${1:-}" ] && [ -r "$1" ] && command -v virsh >/dev/null; then
  for net in $(virsh -q net-list --all --name 2>/dev/null | grep '^tandem-net-'); do
    grep -qx "libvirt-network $net" "$1" && continue
    virsh -q net-destroy "$net" >/dev/null 2>&1
    virsh -q net-undefine "$net" >/dev/null 2>&1
  done
  # Its default storage pool (made at the first volume or disk, under data/e2e/pools): the specs
  # purge their volumes; the pool goes unless it predates the run.
  for pool in $(virsh -q pool-list --all --name 2>/dev/null); do
    grep -qx "libvirt-pool $pool" "$1" && continue
    virsh pool-dumpxml "$pool" 2>/dev/null | grep -q "<path>$(cd "$(dirname "$0")/.." && pwd)/data/e2e/" || continue
    virsh -q pool-destroy "$pool" >/dev/null 2>&1
    virsh -q pool-undefine "$pool" >/dev/null 2>&1
  done
  before=$(sed -n 's/^sysctl net.ipv4.ip_forward=//p' "$1")
  nat_active=0
  for net in $(virsh -q net-list --name 2>/dev/null); do
    virsh net-dumpxml "$net" 2>/dev/null | grep -Eq "<forward( mode='(nat|open)'|>|/>)" && nat_active=1
  done
  [ -n "$before" ] && [ "$nat_active" = 0 ] && echo "$before" >/proc/sys/net/ipv4/ip_forward
fi
exit 0
