#!/bin/sh
# Builds slipway's self-contained Ansible toolchain from the host's Debian packages
# (python3.11, ansible-core, the `ansible` collections, busybox-static) into OUT, a
# directory that runs in any linux/amd64 container, musl or glibc, with or without a
# Python of its own: it carries the interpreter, its standard library, Ansible and its
# Python dependencies, every shared library they load (found with ldd), glibc's dynamic
# loader and a static busybox for its wrappers. The wrappers start the interpreter
# through the bundled loader with --library-path, so nothing in the image (no libc, no
# LD_LIBRARY_PATH in the tasks' environment) is used or changed.
#
#   scripts/ansible-toolchain.sh OUT PREFIX
#
# PREFIX is the absolute path the directory is mounted at in build containers (the
# wrappers' #! lines name it). `scripts/ansible-toolchain.sh --key` prints the versions
# the result depends on (cache key), one per line, `--id` a short hash of them; `--digest DIR` prints the digest of a
# built directory: sha256 of its canonical tar (sorted, root-owned, mtime 0), the diff id
# of the one layer it is published as.
set -eu

packages="python3.11-minimal libpython3.11-minimal libpython3.11-stdlib ansible-core ansible
python3-jinja2 python3-markupsafe python3-yaml python3-cryptography python3-cffi-backend
python3-packaging python3-resolvelib python3-six python3-passlib python3-pkg-resources busybox-static libc6"

# The packages of the shared libraries the interpreter and its extension modules load (copied
# by ldd below): not needed to build, but their versions change the result.
libraries="libssl3 libffi8 libyaml-0-2 zlib1g libexpat1 libbz2-1.0 liblzma5 libsqlite3-0 libuuid1
libncursesw6 libtinfo6 libreadline8 libdb5.3 libcrypt1 libnsl2 libtirpc3 libgssapi-krb5-2
libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1 libcom-err2 libgcc-s1"

if [ "${1:-}" = "--key" ]; then
  # shellcheck disable=SC2086 # one word per package
  dpkg-query -W -f '${Package}=${Version}\n' $packages
  # shellcheck disable=SC2086
  dpkg-query -W -f '${Package}=${Version}\n' $libraries 2>/dev/null || true
  sha256sum "$0" | cut -d' ' -f1
  exit 0
fi
if [ "${1:-}" = "--id" ]; then
  # The recipe id: 32 hex of the sha256 of --key. Where a node keeps the toolchain it builds
  # ($SLIPWAY_HOME/ansible/<id>) and the tag it is published under (ansible-toolchain-<id>).
  key=$("$0" --key) || exit 1
  printf '%s\n' "$key" | sha256sum | cut -c1-32
  exit 0
fi
if [ "${1:-}" = "--digest" ]; then
  dir=${2:?usage: ansible-toolchain.sh --digest DIR}
  hex=$(tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$dir" -cf - . | sha256sum | cut -d' ' -f1)
  echo "sha256:$hex"
  exit 0
fi

out=${1:?usage: ansible-toolchain.sh OUT PREFIX}
prefix=${2:?usage: ansible-toolchain.sh OUT PREFIX}
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/usr/bin" "$out/usr/lib/python3/dist-packages"

# The interpreter and its standard library (without tests, IDLE, Tk and the 2to3 tool).
cp -L /usr/bin/python3.11 "$out/usr/bin/python3.11"
tar -C /usr/lib -cf - --exclude='python3.11/test' --exclude='python3.11/idlelib' --exclude='python3.11/tkinter' \
  --exclude='python3.11/lib2to3' --exclude='python3.11/ensurepip' --exclude='python3.11/turtledemo' \
  --exclude='__pycache__' python3.11 | tar -C "$out/usr/lib" -xf -

# Ansible and its Python dependencies: the files their Debian packages put in dist-packages
# (pkg_resources: the pip module imports it before it looks for the image's pip).
for pkg in ansible-core python3-jinja2 python3-markupsafe python3-yaml python3-cryptography python3-cffi-backend \
  python3-packaging python3-resolvelib python3-six python3-passlib python3-pkg-resources; do
  dpkg -L "$pkg" | grep '^/usr/lib/python3/dist-packages/.' | grep -v '__pycache__' | while read -r f; do
    [ -d "$f" ] && continue
    rel=${f#/usr/lib/python3/dist-packages/}
    mkdir -p "$out/usr/lib/python3/dist-packages/$(dirname "$rel")"
    cp -P "$f" "$out/usr/lib/python3/dist-packages/$rel"
  done
done
cp /usr/bin/ansible-playbook "$out/usr/bin/ansible-playbook"
# The collections that hold the package-manager and POSIX modules werf supports (npm, gem,
# composer, apk, yarn, pacman, ... in community.general; acl in ansible.posix; openssl_* in
# community.crypto), from Debian's `ansible` package.
collections=/usr/lib/python3/dist-packages/ansible_collections
for c in community/general ansible/posix community/crypto; do
  mkdir -p "$out/usr/lib/python3/dist-packages/ansible_collections/$c"
  tar -C "$collections/$c" -cf - --exclude='__pycache__' --exclude='tests' --exclude='docs' . \
    | tar -C "$out/usr/lib/python3/dist-packages/ansible_collections/$c" -xf -
done

# OpenSSL's legacy provider: cryptography loads it at import (OPENSSL_MODULES points at it).
mkdir -p "$out/lib/ossl-modules"
cp /usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so "$out/lib/ossl-modules/legacy.so"

# Every shared library the interpreter and the extension modules load, and the loader.
find "$out" -type f \( -name '*.so' -o -name '*.so.*' -o -path '*/usr/bin/python3.11' \) -print \
  | while read -r f; do ldd "$f" 2>/dev/null || true; done \
  | awk '$2 == "=>" && $3 ~ /^\// { print $1 " " $3 }' | sort -u \
  | while read -r name path; do cp -L "$path" "$out/lib/$name"; done
cp -L /lib64/ld-linux-x86-64.so.2 "$out/lib/ld-linux-x86-64.so.2"
# glibc's C.UTF-8 locale: Ansible refuses to start without a UTF-8 locale, the image may have none.
mkdir -p "$out/lib/locale"
cp -r /usr/lib/locale/C.utf8 "$out/lib/locale/C.utf8"

# A static shell for the wrappers: the image may have none that runs them.
cp /bin/busybox "$out/bin/busybox"
ln -s busybox "$out/bin/sh"

# -E -s: nothing from the image's PYTHON* variables or user site; -B: no .pyc written
# (the mount is read-only); -X utf8: Ansible needs a UTF-8 locale, the image may have none.
cat > "$out/bin/python3" <<EOF
#!$prefix/bin/sh
exec $prefix/lib/ld-linux-x86-64.so.2 --library-path $prefix/lib $prefix/usr/bin/python3.11 -E -s -B -X utf8 "\$@"
EOF
cat > "$out/bin/ansible-playbook" <<EOF
#!$prefix/bin/sh
export LOCPATH=$prefix/lib/locale LC_ALL=C.UTF-8 LANG=C.UTF-8 OPENSSL_MODULES=$prefix/lib/ossl-modules
exec $prefix/bin/python3 $prefix/usr/bin/ansible-playbook "\$@"
EOF
chmod 0755 "$out/bin/python3" "$out/bin/ansible-playbook"
# Byte-compile once (the mount is read-only, so a run could not cache them) with hashes
# that are never checked against the sources' times, and paths as mounted; then one
# timestamp for everything, so the same packages give the same bytes.
/usr/bin/python3.11 -m compileall -q -j 0 --invalidation-mode unchecked-hash -s "$out" -p "$prefix" "$out/usr/lib" >/dev/null
find "$out" -exec touch -h -d @0 {} +
