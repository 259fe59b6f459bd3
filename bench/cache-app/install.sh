#!/bin/sh
# A package manager's install, without a network: every package deps.txt lists
# is "downloaded" into the cache directory (a fixed wait, then 2 MB of
# incompressible bytes) unless the cache already holds it, then installed.
# Usage: install.sh DEPS CACHE DEST
set -e
deps=$1 cache=$2 dest=$3
mkdir -p "$cache" "$dest"
fetched=0 reused=0
while read -r name version; do
  case "$name" in '' | '#'*) continue ;; esac
  pkg="$cache/$name-$version.tgz"
  if [ -f "$pkg" ]; then
    reused=$((reused + 1))
  else
    sleep 0.5
    head -c 2000000 /dev/urandom > "$pkg.part"
    mv "$pkg.part" "$pkg"
    fetched=$((fetched + 1))
  fi
  cp "$pkg" "$dest/"
done < "$deps"
echo "install: $fetched packages downloaded, $reused from the cache"
