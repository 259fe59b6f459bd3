#!/bin/sh
# Provisions the slipway build node image on Amazon Linux 2023 (run by Packer as root).
# Installs the Docker engine, git, gitlab-runner, Node.js, slipway and its Ansible toolchain; leaves nothing listening
# on the network: no sshd, no runner service, Docker on its unix socket only.
set -eu

: "${NODE_VERSION:?}" "${GITLAB_RUNNER_VERSION:?}" "${SLIPWAY_TARBALL:?}"
arch=x64
runner_arch=amd64

dnf -y upgrade
dnf -y install docker git tar xz gzip

# Node.js from the official tarball, checked against the release's SHASUMS256.
node_dist="https://nodejs.org/dist/v${NODE_VERSION}"
node_file="node-v${NODE_VERSION}-linux-${arch}.tar.xz"
curl -fsSLo "/tmp/${node_file}" "${node_dist}/${node_file}"
curl -fsSLo /tmp/SHASUMS256.txt "${node_dist}/SHASUMS256.txt"
(cd /tmp && grep " ${node_file}\$" SHASUMS256.txt | sha256sum -c -)
tar -xJf "/tmp/${node_file}" -C /usr/local --strip-components=1

# gitlab-runner as a plain binary: the bootstrap runs `run-single`, so no service is installed.
curl -fsSLo /usr/local/bin/gitlab-runner \
  "https://gitlab-runner-downloads.s3.amazonaws.com/${GITLAB_RUNNER_VERSION}/binaries/gitlab-runner-linux-${runner_arch}"
chmod 0755 /usr/local/bin/gitlab-runner

# slipway from the package built by `npm pack`.
npm install --global --no-audit --no-fund "${SLIPWAY_TARBALL}"
rm -f "${SLIPWAY_TARBALL}"

# The engine is started by the bootstrap, not at boot, and listens on its unix socket only.
mkdir -p /etc/docker /var/lib/slipway/builds /var/lib/slipway/cache
printf '{ "hosts": ["unix:///var/run/docker.sock"], "log-driver": "local" }\n' > /etc/docker/daemon.json
# The engine's first start (data root layout, storage driver probe, network store) happens
# here once, so a node's boot starts a warm engine; nothing is pulled (every job's base
# images come from the registry through slipway, by digest).
systemctl start docker.service
docker info >/dev/null

# The Ansible toolchain of ansible stages (see scripts/ansible-toolchain.sh): made from Debian
# bookworm's python3.11 and ansible packages by slipway's own script, in a throwaway Debian
# container (this node is Amazon Linux), into the directory slipway looks at first. The
# Debian image is removed again: jobs pull nothing but what slipway pulls.
slipway_root=$(npm root --global)/slipway
debian=public.ecr.aws/docker/library/debian:bookworm
mkdir -p /opt/slipway
docker run --rm -v "${slipway_root}/scripts:/scripts:ro" -v /opt/slipway:/out "$debian" sh -c '
  apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3-pkg-resources ansible-core ansible busybox-static >/dev/null &&
  /scripts/ansible-toolchain.sh /out/ansible-toolchain /dev/.slipway/ansible &&
  /scripts/ansible-toolchain.sh --digest /out/ansible-toolchain > /out/ansible-toolchain.digest &&
  /scripts/ansible-toolchain.sh --id > /out/ansible-toolchain.key'
docker image rm "$debian" >/dev/null
systemctl stop docker.socket docker.service
systemctl disable docker.service docker.socket

# Nothing listening: no SSH (the security group admits nothing anyway), no SSM agent (the
# node role grants it nothing), chrony without its command port.
systemctl disable sshd.service
systemctl disable amazon-ssm-agent.service 2>/dev/null || true
grep -q '^cmdport 0' /etc/chrony.conf || echo 'cmdport 0' >> /etc/chrony.conf
systemctl restart chronyd

# Check: besides this build's own sshd, only loopback and DHCP client sockets may listen.
listening=$(ss -Hlntup | awk '{print $5 " " $7}' \
  | grep -v -E '^(127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\]):[0-9]+ ' \
  | grep -v -E ':(68|546) ' | grep -v 'sshd' || true)
if [ -n "$listening" ]; then
  echo "unexpected listening sockets:" >&2
  echo "$listening" >&2
  exit 1
fi

for tool in docker git gitlab-runner node slipway; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

dnf clean all
rm -rf /tmp/* /var/lib/cloud/instances /etc/ssh/ssh_host_*
