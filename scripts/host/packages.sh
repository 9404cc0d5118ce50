#!/usr/bin/env bash
# Install the Debian packages Tandem needs on the host (idempotent).
#
# Only when something is missing does it run `apt-get update` and
# `apt-get install -y --no-install-recommends <missing...>`; otherwise it is a
# fast no-op (one dpkg-query call).
#
# Besides the packages the design asks for, the scripts in scripts/host/ use:
#   kmod (modprobe --show-depends, depmod), e2fsprogs (mkfs.ext4 -d), cpio, gzip,
#   util-linux (flock, unshare, setsid), passwd (groupadd/useradd for libvirt-qemu),
#   coreutils (timeout), procps, jq (manifest/JSON in check-/smoke-demo-images.sh).
# Node.js itself is not an apt package here (the project brings its own).
#
# Usage: scripts/host/packages.sh [--check]   (--check: report missing, exit 1 if any)
set -euo pipefail

PACKAGES=(
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients libvirt-dev
  qemu-system-x86 qemu-utils
  crun conmon tini busybox-static
  # Podman's container defaults: /usr/share/containers/seccomp.json (the containers' seccomp
  # filter) and containers.conf (default capabilities, sysctls); Tandem refuses to start
  # containers without them
  golang-github-containers-common
  # native/seccomp compiles that filter once per process with libseccomp (crun's own compiler)
  libseccomp-dev
  # the container attack tests compile a static probe (raw system calls busybox cannot make)
  gcc libc6-dev
  linux-image-amd64
  iproute2 nftables dnsmasq-base
  # libvirt 9 applies firewall rules even for isolated networks; cloud-init seeds need an ISO tool
  iptables genisoimage
  # the registry the image-pull test runs on 127.0.0.1
  docker-registry
  chromium fonts-dejavu-core
  kmod e2fsprogs cpio
  # needed by scripts/host/*.sh themselves
  gzip util-linux passwd coreutils procps jq
)

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

echo "==> checking ${#PACKAGES[@]} Debian packages"
# dpkg-query prints one line per known package; unknown ones go to stderr.
declare -A installed=()
while read -r name status; do
  [[ "$status" == "installed" ]] && installed["$name"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)

missing=()
for p in "${PACKAGES[@]}"; do
  [[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "==> all packages present"
  exit 0
fi

echo "==> missing: ${missing[*]}"
if ((check_only)); then
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "error: must run as root to install packages" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "==> apt-get update"
apt-get update -q
echo "==> apt-get install ${missing[*]}"
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "==> done"
