#!/usr/bin/env bash
# Self-check for the demo images made by build-demo-images.sh (no bats, no root needed).
#
# Usage: scripts/host/check-demo-images.sh OUT_DIR
# Exit 0 and "==> demo images ok" when OUT_DIR is complete; exit 1 with one line per
# problem otherwise. Checks: .complete stamp, manifest.json parses and has the expected
# fields (relative paths that exist), OCI image config parses, busybox rootfs, kernel,
# gzip'd newc initramfs with /init, qcow2 disk, cmdline with console=ttyS0.
# Needs jq, gzip, cpio, qemu-img (see packages.sh).
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
OUT=$1
errors=0
fail() { echo "FAIL: $*" >&2; errors=$((errors + 1)); }

for tool in jq gzip cpio qemu-img; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 1; }
done
[[ -d $OUT ]] || { echo "FAIL: $OUT is not a directory" >&2; exit 1; }
M=$OUT/manifest.json

[[ -f $OUT/.complete ]] || fail ".complete missing (build not finished)"
[[ -f $M ]] || { fail "manifest.json missing"; exit 1; }
jq -e . "$M" >/dev/null 2>&1 || { fail "manifest.json does not parse"; exit 1; }

version=$(jq -r '.version | select(type == "number")' "$M")
[[ -n $version ]] || fail "manifest.version is not a number"
if [[ -f $OUT/.complete && -n $version ]]; then
  grep -q " v$version " "$OUT/.complete" || fail "manifest version $version does not match .complete ($(cat "$OUT/.complete"))"
fi

# path KEY -> prints the relative path from the manifest, checks it is relative and exists.
path() {
  local p
  p=$(jq -r "$1 | strings" "$M")
  if [[ -z $p ]]; then fail "manifest $1 missing"; return 1; fi
  if [[ $p == /* || $p == *..* ]]; then fail "manifest $1 is not a plain relative path: $p"; return 1; fi
  if [[ ! -e $OUT/$p ]]; then fail "manifest $1 -> $p does not exist"; return 1; fi
  echo "$OUT/$p"
}

if rootfs=$(path .container.rootfs); then
  [[ -f $rootfs/bin/busybox && ! -L $rootfs/bin/busybox && -x $rootfs/bin/busybox ]] || fail "rootfs: bin/busybox missing"
  [[ -L $rootfs/bin/sh ]] || fail "rootfs: bin/sh missing"
  for f in etc/passwd etc/group etc/hostname; do [[ -s $rootfs/$f ]] || fail "rootfs: $f missing"; done
  for d in proc sys dev tmp root; do [[ -d $rootfs/$d ]] || fail "rootfs: $d/ missing"; done
fi
if config=$(path .container.config); then
  jq -e '.os == "linux" and (.config.Cmd | type == "array") and (.config.Env | type == "array")' "$config" >/dev/null 2>&1 ||
    fail "image-config.json is not a valid OCI image config"
fi
if kernel=$(path .vm.kernel); then
  [[ -s $kernel ]] || fail "vm kernel is empty"
fi
if initrd=$(path .vm.initrd); then
  if ! gzip -t "$initrd" 2>/dev/null; then
    fail "initramfs is not gzip"
  elif ! gzip -dc "$initrd" | cpio -t --quiet 2>/dev/null | grep -x init >/dev/null; then  # no -q: SIGPIPE + pipefail
    fail "initramfs has no /init"
  fi
fi
if disk=$(path .vm.disk); then
  fmt=$(qemu-img info -U --output=json "$disk" 2>/dev/null | jq -r .format 2>/dev/null || true)
  [[ $fmt == qcow2 ]] || fail "vm disk is not qcow2 (${fmt:-unreadable})"
fi
cmdline=$(jq -r '.vm.cmdline | strings' "$M")
[[ $cmdline == *console=ttyS0* ]] || fail "vm.cmdline lacks console=ttyS0: '$cmdline'"
[[ ! -f $OUT/vm/cmdline.txt || $(cat "$OUT/vm/cmdline.txt") == "$cmdline" ]] || fail "vm/cmdline.txt differs from manifest"

if ((errors)); then
  echo "==> demo images in $OUT: $errors problem(s)" >&2
  exit 1
fi
echo "==> demo images ok in $OUT (version $version)"
