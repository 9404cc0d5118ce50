#!/usr/bin/env bash
# Prove the demo images from build-demo-images.sh work on this host, for real.
#
# Usage: scripts/host/smoke-demo-images.sh OUT_DIR [vm|container|all]   (default: all)
#
# vm:        ensure-libvirt.sh, then a throwaway TCG domain (direct kernel boot, qcow2 overlay
#            of disk.qcow2 in a temp dir, pty serial with a log file, user-mode NIC that only
#            talks to QEMU's built-in DHCP) must print "Tandem demo VM ready" on its serial log
#            and power off after `virsh shutdown` (ACPI -> busybox acpid -> poweroff).
# container: crun runs /bin/echo hello in a temp bundle whose rootfs is an overlay of
#            container/rootfs (private mount namespace; on hybrid-cgroup hosts
#            /sys/fs/cgroup/unified is unmounted there: crun 1.8 refuses hybrid mode).
# Everything it creates (domain, overlay, temp files, container) is removed on exit, also on
# failure. It never kills processes by name.
#
# Env: TANDEM_VM_ACCEL=qemu|kvm|auto (default qemu = TCG), TANDEM_SMOKE_BOOT_TIMEOUT (s, 30),
#      TANDEM_SMOKE_SHUTDOWN_TIMEOUT (s, 30)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
URI=qemu:///system
BANNER="Tandem demo VM ready"
BOOT_TIMEOUT=${TANDEM_SMOKE_BOOT_TIMEOUT:-30}
SHUTDOWN_TIMEOUT=${TANDEM_SMOKE_SHUTDOWN_TIMEOUT:-30}

say() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }

[[ $# -ge 1 ]] || die "usage: $0 OUT_DIR [vm|container|all]"
OUT=$(cd "$1" && pwd)
WHAT=${2:-all}
case $WHAT in vm | container | all) ;; *) die "unknown target $WHAT" ;; esac
[[ $(id -u) -eq 0 ]] || die "needs root"
bash "$HERE/check-demo-images.sh" "$OUT" >/dev/null || die "$OUT does not hold complete demo images"

TMP=$(mktemp -d /tmp/tandem-smoke.XXXXXX)
DOMAIN=
CTR_ID=
READER_PID=
PTY_FD=
cleanup() {
  local rc=$?
  set +e
  if [[ -n $READER_PID ]]; then kill "$READER_PID" 2>/dev/null; wait "$READER_PID" 2>/dev/null; fi
  if [[ -n $PTY_FD ]]; then exec {PTY_FD}>&-; fi
  if [[ -n $DOMAIN ]] && virsh -c "$URI" dominfo "$DOMAIN" >/dev/null 2>&1; then
    if [[ $(virsh -c "$URI" domstate "$DOMAIN" 2>/dev/null) != "shut off" ]]; then
      virsh -c "$URI" destroy "$DOMAIN" >/dev/null 2>&1
    fi
    virsh -c "$URI" undefine "$DOMAIN" >/dev/null 2>&1 && echo "==> removed domain $DOMAIN"
  fi
  if [[ -n $CTR_ID ]] && crun state "$CTR_ID" >/dev/null 2>&1; then
    crun delete -f "$CTR_ID" >/dev/null 2>&1
  fi
  [[ -n ${TANDEM_SMOKE_KEEP:-} ]] && cp -r "$TMP" /tmp/tandem-smoke-kept
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

smoke_vm() {
  local accel=${TANDEM_VM_ACCEL:-qemu}
  if [[ $accel == auto ]]; then
    accel=qemu
    if [[ -w /dev/kvm ]] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=kvm; fi
  fi
  bash "$HERE/ensure-libvirt.sh"

  local manifest=$OUT/manifest.json cmdline
  cmdline=$(jq -r .vm.cmdline "$manifest")
  qemu-img create -q -f qcow2 -b "$OUT/$(jq -r .vm.disk "$manifest")" -F qcow2 "$TMP/disk.qcow2"

  DOMAIN=tandem-smoke-$$-$RANDOM
  local xml=$TMP/domain.xml log=$TMP/serial.log
  # Values are all script-controlled paths without XML metacharacters.
  cat >"$xml" <<EOF
<domain type='$accel'>
  <name>$DOMAIN</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$OUT/$(jq -r .vm.kernel "$manifest")</kernel>
    <initrd>$OUT/$(jq -r .vm.initrd "$manifest")</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$TMP/disk.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'><model type='virtio'/></interface>
    <serial type='pty'>
      <log file='$log' append='off'/>
      <target port='0'/>
    </serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='virtio'><stats period='1'/></memballoon>
  </devices>
</domain>
EOF
  say "defining $DOMAIN (type=$accel, 256 MiB, cmdline: $cmdline)"
  virsh -c "$URI" define "$xml" >/dev/null
  local t0 t_banner t_off
  t0=$(date +%s%N)
  virsh -c "$URI" start "$DOMAIN" >/dev/null
  say "started in $(ms_since "$t0") ms; waiting up to ${BOOT_TIMEOUT}s for the banner"
  local deadline=$((SECONDS + BOOT_TIMEOUT))
  until [[ -f $log ]] && grep -aqxE "$BANNER"$'\r?' "$log" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "--- serial log:" >&2
      cat "$log" >&2 2>/dev/null || true
      die "no '$BANNER' on the serial console within ${BOOT_TIMEOUT}s"
    fi
    sleep 0.1
  done
  t_banner=$(ms_since "$t0")
  say "banner after $t_banner ms: $(grep -a '^tandem:' "$log" | tr -d '\r' | head -n 1)"
  grep -aq 'eth0=10\.0\.2\.' "$log" || echo "warning: guest did not report a DHCP address on eth0" >&2
  grep -aq 'vda=/mnt' "$log" || die "guest did not mount /dev/vda on /mnt"

  # The shell on ttyS0 must take input: type into the serial pty, expect the answer in the log.
  local pty
  pty=$(virsh -c "$URI" dumpxml "$DOMAIN" | sed -n "/<serial type='pty'>/,/<\/serial>/s/.*<source path='\([^']*\)'.*/\1/p" | head -n 1)
  [[ -c $pty ]] || die "no serial pty in the live XML"
  # QEMU only reads a pty while its slave side is open (it polls for that once a second),
  # so keep it open, and drain it so the guest's output never stalls.
  exec {PTY_FD}<>"$pty"
  cat <&"$PTY_FD" >/dev/null &
  READER_PID=$!
  deadline=$((SECONDS + 15))
  until grep -aqE '^tandem-shell-42'$'\r?$' "$log"; do
    ((SECONDS < deadline)) || die "the guest shell on ttyS0 did not answer"
    # shellcheck disable=SC2016 # the guest shell expands it
    printf 'echo tandem-shell-$((6 * 7))\r' >&"$PTY_FD"
    sleep 1
  done
  say "guest shell on ttyS0 answers"
  kill "$READER_PID" 2>/dev/null || true
  wait "$READER_PID" 2>/dev/null || true
  READER_PID=
  exec {PTY_FD}>&-
  PTY_FD=

  # ACPI power button -> busybox acpid -> poweroff.
  t0=$(date +%s%N)
  virsh -c "$URI" shutdown "$DOMAIN" >/dev/null
  deadline=$((SECONDS + SHUTDOWN_TIMEOUT))
  until [[ $(virsh -c "$URI" domstate "$DOMAIN" 2>/dev/null) == "shut off" ]]; do
    if ((SECONDS >= deadline)); then
      echo "--- serial log:" >&2
      tr -d '\r' <"$log" >&2 || true
      die "guest did not power off within ${SHUTDOWN_TIMEOUT}s of virsh shutdown"
    fi
    sleep 0.2
  done
  t_off=$(ms_since "$t0")
  say "virsh shutdown -> shut off in $t_off ms"
  grep -aq 'going down' "$log" || echo "warning: the serial log shows no orderly poweroff" >&2
  virsh -c "$URI" undefine "$DOMAIN" >/dev/null
  DOMAIN=
  say "vm ok (boot-to-banner ${t_banner} ms, shutdown ${t_off} ms)"
}

smoke_container() {
  command -v crun >/dev/null || die "crun not found"
  local b=$TMP/bundle
  mkdir -p "$b/rootfs" "$TMP/upper" "$TMP/work"
  (cd "$b" && crun spec)
  # Minimal edits to the generated spec: no terminal, run /bin/echo hello.
  jq '.process.terminal = false | .process.args = ["/bin/echo", "hello"] | .root.path = "rootfs" | .hostname = "tandem-smoke"' \
    "$b/config.json" >"$b/config.json.new"
  mv "$b/config.json.new" "$b/config.json"
  CTR_ID=tandem-smoke-$$-$RANDOM
  local lower out t0
  lower=$OUT/$(jq -r .container.rootfs "$OUT/manifest.json")
  say "crun run $CTR_ID (overlay of $lower)"
  t0=$(date +%s%N)
  # Private mount namespace: the overlay and the cgroup unmount vanish with it.
  # shellcheck disable=SC2016 # positional parameters of the inner sh
  out=$(unshare -m --propagation private sh -c '
      if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then umount /sys/fs/cgroup/unified; fi
      mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4/rootfs" || exit 1
      exec crun run --bundle "$4" "$5"' sh "$lower" "$TMP/upper" "$TMP/work" "$b" "$CTR_ID" </dev/null 2>&1) ||
    die "crun run failed: $out"
  [[ $out == hello ]] || die "container printed '$out', expected 'hello'"
  say "container ok (printed '$out', $(ms_since "$t0") ms)"
}

case $WHAT in
  vm) smoke_vm ;;
  container) smoke_container ;;
  all) smoke_container; smoke_vm ;;
esac
say "smoke test passed"
