#!/usr/bin/env bash
# Make sure libvirtd + virtlogd are running on a host WITHOUT systemd, with QEMU confined to the
# unprivileged `libvirt-qemu` user (idempotent).
#
# - As root: create /run/lock and /var/log/libvirt, the `libvirt-qemu` user/group (uid/gid
#   64055, as Debian's libvirt-daemon-system would; the QEMU driver refuses to load without it),
#   put libvirt-qemu in the `kvm` group (without it libvirt re-probes QEMU on every start:
#   ~5 s instead of ~0.5 s), and set the qemu.conf keys Tandem needs (only the ones that differ):
#   QEMU runs as libvirt-qemu:libvirt-qemu, libvirt's DAC driver chowns exactly the files a
#   domain uses while it runs (dynamic_ownership) and gives them back afterwards
#   (remember_owner); AppArmor confines QEMU on top where the kernel has it, else no MAC driver
#   ("none": DAC is always stacked by a privileged libvirtd; "dac" is not a driver name).
# - Start `virtlogd -d` and `libvirtd -d -p /run/libvirtd.pid` if they are not running.
# - A running libvirtd keeps the configuration it started with. If it does not run QEMU as
#   libvirt-qemu (its capabilities' DAC base label says which uid it uses) or this run changed
#   qemu.conf or the kvm group, it is restarted — but only a libvirtd this script started
#   (its PID file and its exact command line `libvirtd -d -p /run/libvirtd.pid`). Running
#   guests survive a libvirtd restart. Any other libvirtd (systemd's, a developer's) is never
#   touched: if it still runs QEMU as root the script fails and says how to restart it.
# Never kills anything by name: on failure it only stops a libvirtd/virtlogd whose PID this
# very run started.
#
# Env: TANDEM_LIBVIRT_WAIT (seconds, default 20)
# Logs: /var/log/libvirt/{libvirtd,virtlogd}.log (warnings and errors)
set -euo pipefail

URI=qemu:///system
WAIT_SECS=${TANDEM_LIBVIRT_WAIT:-20}
QEMU_CONF=/etc/libvirt/qemu.conf
LIBVIRTD_PID=/run/libvirtd.pid
VIRTLOGD_PID=/run/virtlogd.pid
LOCK=/run/lock/tandem-ensure-libvirt.lock

say() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }

virsh_answers() { timeout 5 virsh -c "$URI" version >/dev/null 2>&1; }

print_version() {
  local v
  v=$(timeout 5 virsh -c "$URI" version 2>/dev/null | sed -n 's/^Running hypervisor: //p; s/^Running against daemon: //p' | paste -sd, -)
  say "libvirt ready ($URI): ${v:-$(virsh --version)}"
}

# The uid:gid the running libvirtd gives QEMU: its DAC security model's base label.
qemu_label() {
  timeout 5 virsh -c "$URI" capabilities 2>/dev/null |
    sed -n "s|.*<baselabel type='qemu'>\(.*\)</baselabel>.*|\1|p" | head -n 1
}
wanted_label() {
  local uid gid
  uid=$(id -u libvirt-qemu 2>/dev/null) || return 1
  gid=$(getent group libvirt-qemu | cut -d: -f3) || return 1
  echo "+$uid:+$gid"
}
qemu_confined() { local w; w=$(wanted_label) && [[ $(qemu_label) == "$w" ]]; }

if [[ $(id -u) -ne 0 ]]; then
  virsh_answers || die "libvirtd is not answering on $URI and starting it needs root"
  qemu_confined || echo "warning: libvirtd runs QEMU as '$(qemu_label)', not libvirt-qemu; run $0 as root" >&2
  print_version
  exit 0
fi
for bin in virsh libvirtd virtlogd; do
  command -v "$bin" >/dev/null || die "$bin not found (run scripts/host/packages.sh)"
done

# PIDs this run started; on failure only these are stopped.
started_pids=()
cleanup_on_error() {
  local rc=$?
  if ((rc != 0)); then
    local p
    for p in "${started_pids[@]}"; do
      if kill -0 "$p" 2>/dev/null; then
        echo "==> stopping PID $p (started by this run)" >&2
        kill "$p" 2>/dev/null || true
      fi
    done
  fi
  exit "$rc"
}
trap cleanup_on_error EXIT

mkdir -p /run/lock /var/log/libvirt /var/lib/libvirt /var/cache/libvirt /etc/libvirt

# Serialise concurrent runs (tests may call this in parallel). fd 9 is closed for the
# daemons so they never hold the lock.
exec 9>"$LOCK"
flock -w $((WAIT_SECS + 30)) 9 || die "timed out waiting for $LOCK"

# --- libvirt-qemu user/group ----------------------------------------------------------
if ! getent group libvirt-qemu >/dev/null; then
  say "creating group libvirt-qemu"
  if getent group 64055 >/dev/null; then groupadd -r libvirt-qemu; else groupadd -r -g 64055 libvirt-qemu; fi
fi
if ! getent passwd libvirt-qemu >/dev/null; then
  say "creating user libvirt-qemu"
  uid_opt=(-u 64055)
  getent passwd 64055 >/dev/null && uid_opt=()
  useradd -r "${uid_opt[@]}" -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin \
    -c "Libvirt Qemu" libvirt-qemu
fi
# /dev/kvm must be openable by QEMU's user, or libvirt discards its capability cache and
# re-probes the QEMU binary on every domain start.
group_changed=0
if getent group kvm >/dev/null && ! id -nG libvirt-qemu | tr ' ' '\n' | grep -qx kvm; then
  say "adding libvirt-qemu to group kvm"
  usermod -a -G kvm libvirt-qemu
  group_changed=1
fi

# --- qemu.conf -------------------------------------------------------------------------
conf_changed=0
set_conf() { # key value(verbatim, quoted if string)
  local key=$1 value=$2
  [[ -f $QEMU_CONF ]] || printf '# qemu.conf written by Tandem scripts/host/ensure-libvirt.sh\n' >"$QEMU_CONF"
  if grep -qE "^[[:space:]]*${key}[[:space:]]*=[[:space:]]*${value//./\\.}[[:space:]]*$" "$QEMU_CONF"; then
    return 0
  fi
  if grep -qE "^[[:space:]]*${key}[[:space:]]*=" "$QEMU_CONF"; then
    sed -i -E "s|^[[:space:]]*${key}[[:space:]]*=.*$|${key} = ${value}|" "$QEMU_CONF"
  else
    printf '%s = %s\n' "$key" "$value" >>"$QEMU_CONF"
  fi
  conf_changed=1
  say "qemu.conf: ${key} = ${value}"
}
# AppArmor only where the kernel enforces it and libvirt's profiles and helper are installed.
mac='"none"'
if [[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) == Y ]] &&
  command -v apparmor_parser >/dev/null && [[ -x /usr/lib/libvirt/virt-aa-helper ]] &&
  [[ -f /etc/apparmor.d/libvirt/TEMPLATE.qemu ]]; then
  mac='"apparmor"'
fi
set_conf user '"libvirt-qemu"'
set_conf group '"libvirt-qemu"'
set_conf dynamic_ownership 1
set_conf remember_owner 1
set_conf security_driver "$mac"
set_conf vnc_listen '"127.0.0.1"'
((conf_changed)) || say "qemu.conf already configured (QEMU as libvirt-qemu, DAC, MAC: ${mac//\"/})"

# --- daemons ---------------------------------------------------------------------------
# pid_running PIDFILE COMM -> prints the PID if that process is alive and really is COMM.
pid_running() {
  local pid
  [[ -r $1 ]] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [[ -n $pid ]] && [[ -r /proc/$pid/comm ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  echo "$pid"
}

# The exact command line start_daemon uses: how a libvirtd this script started is recognised.
ours() { # PID NAME PIDFILE
  [[ $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) == "$2 -d -p $3 " ]]
}

start_daemon() { # NAME PIDFILE
  local name=$1 pidfile=$2 pid i
  if pid=$(pid_running "$pidfile" "$name"); then
    say "$name already running (PID $pid)"
    return 0
  fi
  say "starting $name"
  rm -f "$pidfile"
  LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/$name.log" \
    "$name" -d -p "$pidfile" </dev/null >/dev/null 2>>"/var/log/libvirt/$name.log" 9>&- \
    || die "$name -d failed (see /var/log/libvirt/$name.log)"
  for ((i = 0; i < 50; i++)); do
    if pid=$(pid_running "$pidfile" "$name"); then
      started_pids+=("$pid")
      say "$name started (PID $pid)"
      return 0
    fi
    sleep 0.1
  done
  die "$name did not write $pidfile (see /var/log/libvirt/$name.log)"
}

wait_answers() {
  local deadline=$((SECONDS + WAIT_SECS))
  say "waiting up to ${WAIT_SECS}s for $URI"
  until virsh_answers; do
    if ! pid_running "$LIBVIRTD_PID" libvirtd >/dev/null; then
      tail -n 20 /var/log/libvirt/libvirtd.log >&2 2>/dev/null || true
      die "libvirtd exited (see /var/log/libvirt/libvirtd.log)"
    fi
    ((SECONDS < deadline)) || die "libvirtd did not answer on $URI within ${WAIT_SECS}s"
    sleep 0.2
  done
}

start_daemon virtlogd "$VIRTLOGD_PID"

if pid=$(pid_running "$LIBVIRTD_PID" libvirtd) || virsh_answers; then
  # A daemon is up. It reads qemu.conf and the groups only when it starts.
  stale=0
  reason=""
  if ! qemu_confined; then
    stale=1 reason="it runs QEMU as '$(qemu_label)', not libvirt-qemu"
  elif ((group_changed)); then
    stale=1 reason="libvirt-qemu joined group kvm"
  elif [[ -n ${pid:-} ]] && (($(stat -c %Y "$QEMU_CONF") > $(date -d "$(ps -o lstart= -p "$pid")" +%s))); then
    stale=1 reason="qemu.conf changed after it started"
  fi
  if ((stale)); then
    if [[ -n ${pid:-} ]] && ours "$pid" libvirtd "$LIBVIRTD_PID"; then
      say "restarting libvirtd (PID $pid, started by this script): $reason; running guests keep running"
      kill -TERM "$pid"
      for ((i = 0; i < 150; i++)); do
        [[ -e /proc/$pid ]] || break
        sleep 0.2
      done
      [[ ! -e /proc/$pid ]] || die "libvirtd (PID $pid) did not exit within 30 s of SIGTERM"
      start_daemon libvirtd "$LIBVIRTD_PID"
      wait_answers
    elif ! qemu_confined; then
      die "libvirtd${pid:+ (PID $pid)} was not started by this script and $reason: restart it (e.g. systemctl restart libvirtd) so $QEMU_CONF takes effect"
    else
      echo "warning: libvirtd${pid:+ (PID $pid)} was not started by this script; $reason: restart it to apply" >&2
    fi
  fi
else
  start_daemon libvirtd "$LIBVIRTD_PID"
  wait_answers
fi
qemu_confined || die "libvirtd runs QEMU as '$(qemu_label)', not libvirt-qemu ($(wanted_label)); see /var/log/libvirt/libvirtd.log"
print_version
