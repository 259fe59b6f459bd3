#!/bin/sh
# Sets up a fresh Debian machine with Node 20 for slipway: the system packages the
# demo and the tests use (installed only when missing), then `npm ci` (which also
# bundles the CLI into dist/). Starts no daemon: the demo and the tests start their
# own private Docker engines and registries on loopback and stop them afterwards.
#
#   scripts/setup.sh && npm run demo
set -eu
cd "$(dirname "$0")/.."

need=""
command -v dockerd >/dev/null 2>&1 || need="$need docker.io"
command -v docker-registry >/dev/null 2>&1 || need="$need docker-registry"
# The base image of the demo and the tests is /bin/busybox itself: it must be the static one.
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then need="$need busybox-static"; fi
command -v git >/dev/null 2>&1 || need="$need git"
command -v shellcheck >/dev/null 2>&1 || need="$need shellcheck"
# The ssh-agent tests compile a static Unix-socket client for the busybox image (busybox nc has no Unix sockets).
command -v gcc >/dev/null 2>&1 || need="$need gcc libc6-dev"
# ansible stages: scripts/ansible-toolchain.sh builds the toolchain from these Debian packages.
command -v python3.11 >/dev/null 2>&1 || need="$need python3.11"
dpkg-query -W -f '${Status}' ansible-core 2>/dev/null | grep -q "ok installed" || need="$need ansible-core"
dpkg-query -W -f '${Status}' ansible 2>/dev/null | grep -q "ok installed" || need="$need ansible"
dpkg-query -W -f '${Status}' python3-pkg-resources 2>/dev/null | grep -q "ok installed" || need="$need python3-pkg-resources"
# The musl-like base image of the ansible tests (no glibc): musl's libc and loader from Debian's musl.
[ -e /lib/ld-musl-x86_64.so.1 ] || need="$need musl"
if [ -n "$need" ]; then
  echo "setup: installing$need"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi

# shellcheck disable=SC2016 # JavaScript, not shell
node -e 'if (Number(process.versions.node.split(".")[0]) < 20) { console.error(`setup: Node 20 or later is needed (found ${process.version})`); process.exit(1) }'
npm ci --no-audit --no-fund
