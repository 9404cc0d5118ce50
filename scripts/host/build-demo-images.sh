#!/usr/bin/env bash
# Build Tandem's offline demo images once (idempotent).
#
# Usage: scripts/host/build-demo-images.sh OUT_DIR
#
# Produces (all paths relative to OUT_DIR, also listed in OUT_DIR/manifest.json):
#   container/rootfs/            busybox-static rootfs (busybox --install -s, passwd/group/hostname)
#   container/image-config.json  OCI image config (Cmd /bin/sh)
#   vm/vmlinuz                   Debian's newest /boot/vmlinuz-*
#   vm/initramfs.img             cpio newc + gzip: busybox-static, virtio/ext4/acpi modules, /init
#   vm/disk.qcow2                64 MiB ext4 (label tandem-demo) with a README, mounted on /mnt
#   vm/cmdline.txt               kernel command line to use with direct kernel boot
#   manifest.json                {"version":N,"container":{...},"vm":{...}}
#   .complete                    version stamp; the build is skipped while it matches
#
# The guest boots under QEMU TCG in a few seconds, prints exactly "Tandem demo VM ready" on
# ttyS0, then busybox init respawns a login shell on ttyS0. busybox acpid maps the ACPI power
# button to `poweroff`, so `virsh shutdown` powers the guest off.
#
# Needs root (chroot, mknod). Packages: busybox-static linux-image-amd64 kmod cpio gzip
# e2fsprogs qemu-utils util-linux (see scripts/host/packages.sh).
set -euo pipefail

# Bump when the output changes in any way; consumers can compare manifest.json "version".
VERSION=3
# tty0 first, ttyS0 last: the serial line is /dev/console; the VNC screen shows tty1 too.
CMDLINE="console=tty0 console=ttyS0 quiet panic=-1"
DISK_SIZE=64M
# Modules loaded in the guest (plus their dependencies, in modprobe order).
GUEST_MODULES=(virtio_pci virtio_blk virtio_net virtio_console virtio_balloon ext4 button evdev)

say() { echo "==> $*"; }
die() { echo "error: $*" >&2; exit 1; }

[[ $# -eq 1 && -n $1 ]] || die "usage: $0 OUT_DIR"
OUT=$1

# --- inputs -----------------------------------------------------------------------------
KERNEL=$(find /boot -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -n 1 || true)
[[ -n $KERNEL && -r $KERNEL ]] || die "no readable /boot/vmlinuz-* (install linux-image-amd64)"
KVER=${KERNEL#/boot/vmlinuz-}
[[ -d /lib/modules/$KVER ]] || die "/lib/modules/$KVER missing for $KERNEL"
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do
  [[ -x $b ]] && { BUSYBOX=$b; break; }
done
[[ -n $BUSYBOX ]] || die "busybox not found (install busybox-static)"
BB_VERSION=$("$BUSYBOX" 2>/dev/null | head -n 1 | awk '{print $2}' || true)

STAMP="tandem-demo-images v$VERSION kernel=$KVER busybox=$BB_VERSION"

is_complete() { [[ -f $OUT/.complete ]] && [[ $(cat "$OUT/.complete") == "$STAMP" ]]; }

if is_complete; then
  say "demo images up to date in $OUT ($STAMP)"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "building the demo images needs root (chroot, mknod)"
if LC_ALL=C ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked; install busybox-static"
fi
for tool in cpio gzip mkfs.ext4 qemu-img modprobe chroot flock; do
  command -v "$tool" >/dev/null || die "$tool not found (run scripts/host/packages.sh)"
done

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Serialise concurrent builds of the same OUT_DIR.
exec 9>"$OUT/.lock"
flock 9
if is_complete; then
  say "demo images up to date in $OUT (built by a concurrent run)"
  exit 0
fi

t0=$SECONDS
STAGE=$(mktemp -d "$OUT/.build.XXXXXX")
cleanup() { rm -rf "$STAGE"; }
trap cleanup EXIT

# install_busybox ROOT: static busybox at ROOT/bin/busybox plus applet symlinks.
install_busybox() {
  local root=$1
  # busybox --install -s needs these directories to exist first.
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin}
  cp "$BUSYBOX" "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  # In a chroot /proc/self/exe is unreadable, so busybox links to argv[0] (/bin/busybox).
  chroot "$root" /bin/busybox --install -s
  [[ -f $root/bin/busybox && ! -L $root/bin/busybox ]] || die "busybox install clobbered $root/bin/busybox"
  [[ -L $root/bin/sh ]] || die "busybox --install did not create bin/sh in $root"
}

write_passwd() { # ROOT HOSTNAME
  local root=$1
  cat >"$root/etc/passwd" <<'EOT'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOT
  cat >"$root/etc/group" <<'EOT'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOT
  echo "$2" >"$root/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$root/etc/hosts"
}

# --- container image ---------------------------------------------------------------------
say "building container rootfs (busybox $BB_VERSION)"
CROOT=$STAGE/container/rootfs
mkdir -p "$CROOT"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root}
chmod 1777 "$CROOT/tmp"
chmod 0700 "$CROOT/root"
install_busybox "$CROOT"
write_passwd "$CROOT" tandem-demo
cat >"$STAGE/container/image-config.json" <<'EOT'
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":[]}}
EOT

# --- VM: kernel -------------------------------------------------------------------------------
say "copying kernel $KERNEL"
mkdir -p "$STAGE/vm"
cp "$KERNEL" "$STAGE/vm/vmlinuz"
chmod 0644 "$STAGE/vm/vmlinuz"
echo "$CMDLINE" >"$STAGE/vm/cmdline.txt"

# --- VM: initramfs ----------------------------------------------------------------------------
say "building initramfs (modules: ${GUEST_MODULES[*]})"
IROOT=$STAGE/initramfs
mkdir -p "$IROOT"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,mnt,root,var/log,lib/modules}
chmod 1777 "$IROOT/tmp"
ln -s ../run "$IROOT/var/run"
install_busybox "$IROOT"
write_passwd "$IROOT" tandem-vm
# The kernel opens /dev/console before /init runs (devtmpfs is mounted later).
mknod -m 600 "$IROOT/dev/console" c 5 1
mknod -m 666 "$IROOT/dev/null" c 1 3

# Modules and their dependencies, deduplicated in load order.
declare -A seen_mod=()
mod_list=()
for m in "${GUEST_MODULES[@]}"; do
  deps=$(modprobe -S "$KVER" --show-depends "$m") || die "modprobe --show-depends $m failed for $KVER"
  while read -r kind path _; do
    [[ $kind == insmod ]] || continue # "builtin NAME" needs nothing
    [[ -n ${seen_mod[$path]:-} ]] && continue
    seen_mod[$path]=1
    mod_list+=("$path")
  done <<<"$deps"
done
: >"$IROOT/etc/modules.list"
for src in "${mod_list[@]}"; do
  rel=${src#/lib/modules/"$KVER"/}
  case $src in
    *.ko) relko=$rel; unpack=(cat) ;;
    *.ko.xz) relko=${rel%.xz}; unpack=(xz -dc) ;;  # busybox insmod may not read compressed modules
    *.ko.zst) relko=${rel%.zst}; unpack=(zstd -qdc) ;;
    *.ko.gz) relko=${rel%.gz}; unpack=(gzip -dc) ;;
    *) die "unexpected module file $src" ;;
  esac
  mkdir -p "$(dirname "$IROOT/lib/modules/$KVER/$relko")"
  "${unpack[@]}" "$src" >"$IROOT/lib/modules/$KVER/$relko"
  echo "/lib/modules/$KVER/$relko" >>"$IROOT/etc/modules.list"
done
# modules.dep for the subset, so the kernel's request_module (busybox modprobe) works too.
for f in modules.order modules.builtin modules.builtin.modinfo; do
  [[ -f /lib/modules/$KVER/$f ]] && cp "/lib/modules/$KVER/$f" "$IROOT/lib/modules/$KVER/"
done
depmod -b "$IROOT" "$KVER" 2>/dev/null || echo "warning: depmod for the initramfs failed; insmod list still works" >&2

cat >"$IROOT/init" <<'EOT'
#!/bin/sh
# Tandem demo VM /init (PID 1): set the machine up, print the banner, hand over to busybox init.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
exec 0</dev/console 1>/dev/console 2>&1
CON=/dev/console
[ -c /dev/ttyS0 ] && CON=/dev/ttyS0

while read -r mod; do insmod "$mod" 2>/dev/null; done </etc/modules.list
hostname -F /etc/hostname
ip link set lo up

# has_virtio ID: is a virtio device of that type present? (1 = net, 2 = block)
has_virtio() {
  for d in /sys/bus/virtio/devices/*/device; do
    [ -r "$d" ] && [ "$(cat "$d")" = "$1" ] && return 0
  done
  return 1
}
# wait_for TEST... : up to 5 s
wait_for() {
  i=0
  while [ $i -lt 50 ]; do "$@" && return 0; usleep 100000; i=$((i + 1)); done
  return 1
}

info=""
if has_virtio 0x0001 && wait_for test -e /sys/class/net/eth0; then
  ip link set eth0 up
  # DHCP is optional: give up quickly when nobody answers, keep retrying in the background.
  udhcpc -i eth0 -s /etc/udhcpc/default.script -b -q -t 2 -T 1 -A 2 >/dev/null 2>&1 || true
  addr=$(ip -o -4 addr show dev eth0 | awk '{print $4}')
  info="$info eth0=${addr:-no-dhcp}"
fi
if has_virtio 0x0002 && wait_for test -b /dev/vda; then
  if mount -t ext4 /dev/vda /mnt 2>/dev/null; then info="$info vda=/mnt"; else info="$info vda=unmounted"; fi
fi

# ACPI power button -> /etc/acpi/PWRF/00000080 -> poweroff (busybox init handles SIGUSR2).
wait_for test -e /dev/input/event0 || true
acpid -l /var/log/acpid.log -p /run/acpid.pid

for out in "$CON" /dev/tty1; do
  [ -c "$out" ] || continue
  echo "tandem: kernel $(uname -r)$info" >"$out"
  echo "Tandem demo VM ready" >"$out"
done
exec /sbin/init
EOT
chmod 0755 "$IROOT/init"

cat >"$IROOT/etc/inittab" <<'EOT'
# busybox init: a shell on the serial console and one on the screen (VNC), respawned on exit.
ttyS0::respawn:-/bin/sh
tty1::respawn:-/bin/sh
::ctrlaltdel:/sbin/reboot
::shutdown:/etc/init.d/shutdown
EOT
# busybox init runs each inittab command as `sh -c "exec CMD"`: keep compound logic in a file.
mkdir -p "$IROOT/etc/init.d"
cat >"$IROOT/etc/init.d/shutdown" <<'EOT'
#!/bin/sh
sync
if grep -q ' /mnt ' /proc/mounts; then umount /mnt 2>/dev/null || mount -o remount,ro /mnt; fi
sync
EOT
chmod 0755 "$IROOT/etc/init.d/shutdown"

cat >"$IROOT/etc/profile" <<'EOT'
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
export PS1='\h:\w\$ '
cd "$HOME"
EOT

mkdir -p "$IROOT/etc/acpi/PWRF"
cat >"$IROOT/etc/acpi/PWRF/00000080" <<'EOT'
#!/bin/sh
exec /sbin/poweroff
EOT
chmod 0755 "$IROOT/etc/acpi/PWRF/00000080"
# Explicit map (same as busybox's built-in default) so both ACPI button names power off.
cat >"$IROOT/etc/acpid.conf" <<'EOT'
PWRF PWRF/00000080
PWRB PWRF/00000080
EOT

mkdir -p "$IROOT/etc/udhcpc"
cat >"$IROOT/etc/udhcpc/default.script" <<'EOT'
#!/bin/sh
# Minimal udhcpc hook: address, default route, resolv.conf.
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound | renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then
      set -- $router
      ip route replace default via "$1" dev "$interface"
    fi
    : >/etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    ;;
esac
exit 0
EOT
chmod 0755 "$IROOT/etc/udhcpc/default.script"

(cd "$IROOT" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc --owner=0:0 --quiet) | gzip -n -9 >"$STAGE/vm/initramfs.img"

# --- VM: data disk ----------------------------------------------------------------------------
say "building disk.qcow2 ($DISK_SIZE ext4)"
DROOT=$STAGE/disk
mkdir -p "$DROOT"
cat >"$DROOT/README" <<EOT
Tandem demo disk
================

This ${DISK_SIZE} ext4 filesystem (label tandem-demo) is the demo VM's /dev/vda; the
initramfs mounts it on /mnt at boot. Each VM gets its own qcow2 overlay of disk.qcow2, so
whatever you write here stays with that VM.

Built by scripts/host/build-demo-images.sh (demo image version $VERSION, kernel $KVER).
EOT
mkfs.ext4 -q -F -L tandem-demo -m 0 -E root_owner=0:0 -d "$DROOT" "$STAGE/disk.raw" "$DISK_SIZE" >/dev/null
qemu-img convert -f raw -O qcow2 "$STAGE/disk.raw" "$STAGE/vm/disk.qcow2"
rm -f "$STAGE/disk.raw"

# --- manifest + install -------------------------------------------------------------------------
cat >"$STAGE/manifest.json" <<EOT
{"version":$VERSION,"container":{"rootfs":"container/rootfs","config":"container/image-config.json"},"vm":{"kernel":"vm/vmlinuz","initrd":"vm/initramfs.img","disk":"vm/disk.qcow2","cmdline":"$CMDLINE"}}
EOT

say "installing into $OUT"
rm -f "$OUT/.complete"
rm -rf "$OUT/container" "$OUT/vm" "$OUT/manifest.json"
mv "$STAGE/container" "$STAGE/vm" "$STAGE/manifest.json" "$OUT/"
echo "$STAMP" >"$OUT/.complete"
say "demo images ready in $OUT ($((SECONDS - t0))s, initramfs $(du -k "$OUT/vm/initramfs.img" | cut -f1) KiB)"
