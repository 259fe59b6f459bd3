#!/bin/sh
# A stand-in for a package manager that needs no network: every `name==version`
# line of DEPS becomes DEST/<name>/ with a manifest and a 64 KiB payload, so the
# install stage has a layer of a realistic shape (and a size worth caching).
set -eu
deps=$1
dest=$2
mkdir -p "$dest"
grep -v '^[[:space:]]*#' "$deps" | grep '==' | while IFS= read -r line; do
  name=${line%%==*}
  version=${line#*==}
  mkdir -p "$dest/$name"
  printf 'name=%s\nversion=%s\n' "$name" "$version" > "$dest/$name/MANIFEST"
  # Pseudo-random but deterministic (seeded by the pin), so it barely compresses,
  # like real packages, and the same pin always gives the same bytes.
  seed=$(printf '%s' "$line" | cksum | cut -d' ' -f1)
  awk -v seed="$seed" 'BEGIN { srand(seed); for (i = 0; i < 1024; i++) { s = ""; for (j = 0; j < 63; j++) s = s sprintf("%c", 33 + int(rand() * 90)); print s } }' > "$dest/$name/payload.bin"
  echo "installed $name $version"
done
