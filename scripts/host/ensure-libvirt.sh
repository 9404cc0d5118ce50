#!/usr/bin/env bash
# Make sure libvirtd + virtlogd are running on a host WITHOUT systemd (idempotent).
#
# - If `virsh -c qemu:///system version` already answers: print the version, do nothing else.
# - Otherwise: create /run/lock and /var/log/libvirt, the `libvirt-qemu` user/group
#   (uid/gid 64055, as Debian's libvirt-daemon-system would; the QEMU driver refuses to
#   load without it), set the qemu.conf keys Tandem needs (only the ones that differ),
#   start `virtlogd -d` if it is not running, start `libvirtd -d`, and wait (bounded) for
#   the socket to answer.
# Never kills anything by name: on failure it only stops a libvirtd/virtlogd whose PID
# this very run started.
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

if virsh_answers; then
  print_version
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "libvirtd is not answering on $URI and starting it needs root"
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

say "preparing directories"
mkdir -p /run/lock /var/log/libvirt /var/lib/libvirt /var/cache/libvirt /etc/libvirt

# Serialise concurrent runs (tests may call this in parallel). fd 9 is closed for the
# daemons so they never hold the lock.
exec 9>"$LOCK"
flock -w $((WAIT_SECS + 30)) 9 || die "timed out waiting for $LOCK"
if virsh_answers; then   # someone else finished while we waited
  print_version
  exit 0
fi

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
set_conf user '"root"'
set_conf group '"root"'
set_conf dynamic_ownership 0
set_conf remember_owner 0
set_conf security_driver '"none"'
set_conf vnc_listen '"127.0.0.1"'
((conf_changed)) || say "qemu.conf already configured"

# --- daemons ---------------------------------------------------------------------------
# pid_running PIDFILE COMM -> prints the PID if that process is alive and really is COMM.
pid_running() {
  local pid
  [[ -r $1 ]] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [[ -n $pid ]] && [[ -r /proc/$pid/comm ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$2" ]] || return 1
  echo "$pid"
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

start_daemon virtlogd "$VIRTLOGD_PID"
start_daemon libvirtd "$LIBVIRTD_PID"

say "waiting up to ${WAIT_SECS}s for $URI"
deadline=$((SECONDS + WAIT_SECS))
until virsh_answers; do
  if ! pid_running "$LIBVIRTD_PID" libvirtd >/dev/null; then
    tail -n 20 /var/log/libvirt/libvirtd.log >&2 2>/dev/null || true
    die "libvirtd exited (see /var/log/libvirt/libvirtd.log)"
  fi
  ((SECONDS < deadline)) || die "libvirtd did not answer on $URI within ${WAIT_SECS}s"
  sleep 0.2
done
print_version
