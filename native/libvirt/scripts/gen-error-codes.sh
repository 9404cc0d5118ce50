#!/usr/bin/env bash
# Regenerates ../error-codes.gen.ts from the installed libvirt headers (libvirt-dev).
# Usage: bash native/libvirt/scripts/gen-error-codes.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
hdr=/usr/include/libvirt/virterror.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen() { # $1 = prefix (ERR|FROM)
  local names
  names=$(grep -oE "^\s+VIR_$1_[A-Z0-9_]+" "$hdr" | tr -d ' ' | sort -u | grep -vE '_LAST$|^VIR_ERR_(NONE|WARNING|ERROR)$')
  {
    echo '#include <stdio.h>'
    echo '#include <libvirt/virterror.h>'
    echo 'int main(void){'
    for n in $names; do echo "printf(\"%d %s\\n\", (int)$n, \"${n#VIR_$1_}\");"; done
    echo 'return 0;}'
  } >"$tmp/g.c"
  cc "$tmp/g.c" -o "$tmp/g"
  "$tmp/g" | sort -n | awk '{printf "  %s: %s,\n", $2, $1}'
}
{
  echo "// GENERATED — DO NOT EDIT. Regenerate with: bash native/libvirt/scripts/gen-error-codes.sh"
  echo "// libvirt's virErrorNumber and virErrorDomain values from $(pkg-config --modversion libvirt) headers."
  echo
  echo "export const ErrorCode = {"
  gen ERR
  echo "} as const;"
  echo
  echo "export const ErrorDomain = {"
  gen FROM
  echo "} as const;"
} >"$here/error-codes.gen.ts"
echo "wrote $here/error-codes.gen.ts"
