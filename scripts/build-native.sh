#!/usr/bin/env bash
# Builds every addon under native/ with node-gyp (offline, against the installed Node's
# headers), only when its sources changed since the last build.
source "$(dirname "$0")/lib.sh"
for dir in native/*/; do
  [ -f "$dir/binding.gyp" ] || continue
  name=$(basename "$dir")
  h=$(hash_of "$dir/binding.gyp" "$dir/src" native/common) # native/common: headers every addon includes
  if unchanged "$dir/build/.tandem-src" "$h" && ls "$dir"/build/Release/*.node >/dev/null 2>&1; then
    step "native/$name up to date"
    continue
  fi
  step "node-gyp rebuild native/$name"
  # Build against the installed Node's headers: this host cannot download them.
  nodedir=()
  [ -d /usr/include/node ] && nodedir=(--nodedir=/usr)
  (cd "$dir" && node-gyp rebuild "${nodedir[@]}" --loglevel=error >/tmp/tandem-gyp-$name.log 2>&1) || { cat /tmp/tandem-gyp-$name.log; exit 1; }
  echo "$h" > "$dir/build/.tandem-src"
done
