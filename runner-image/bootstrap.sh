#!/bin/sh
# slipway build node bootstrap, run once as EC2 user data: take one GitLab job, then power off.
#
# infra/userdata.ts replaces the marker line below with this node's settings (non-secret only).
# The runner token reaches the node through its own SSM parameter, is deleted there as soon as
# it is read, and is never printed: do not add `set -x` or echo anything derived from it.
# Every path ends in poweroff (the launch template makes that a termination): the hard lifetime
# is armed first, and an EXIT trap covers success, job failure, runner crash and every error.
# @@SLIPWAY_SETTINGS@@

: "${SLIPWAY_LIFETIME_SECONDS:=5400}"
: "${SLIPWAY_WAIT_TIMEOUT:=600}"
: "${SLIPWAY_RUNNER_MODE:=per-job}"
: "${SLIPWAY_PARAMETER_ATTEMPTS:=30}"
: "${SLIPWAY_RETRY_SECONDS:=2}"
: "${SLIPWAY_ENGINE_WAIT_SECONDS:=60}"
: "${SLIPWAY_IMDS:=http://169.254.169.254/latest}"
# Warm pool: where a prepared node keeps its marker, and cloud-init's every-boot scripts.
: "${SLIPWAY_WARM_DIR:=/var/lib/slipway}"
: "${SLIPWAY_PER_BOOT_DIR:=/var/lib/cloud/scripts/per-boot}"

# Set before the lifetime sleeper forks: it must find poweroff whatever PATH user data got.
PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin
export PATH

log() {
  printf 'slipway-node: %s\n' "$*" >&2
}

# Time to start, step by step: seconds since boot from /proc/uptime (every Linux has it,
# busybox included), so the steps can be compared with the instance's own boot.
step() {
  log "step $1 at $(cut -d' ' -f1 /proc/uptime 2>/dev/null || echo 0)s"
}
step bootstrap-started

# 1. The hard lifetime, before anything else can hang: a sleeper that powers off, and systemd's
# own scheduled poweroff as a second line where it exists (it survives the sleeper being killed).
(
  sleep "$SLIPWAY_LIFETIME_SECONDS"
  log "lifetime of ${SLIPWAY_LIFETIME_SECONDS}s reached; powering off"
  poweroff
) </dev/null &
lifetime_pid=$!
if command -v shutdown >/dev/null 2>&1; then
  shutdown -P "+$(( (SLIPWAY_LIFETIME_SECONDS + 59) / 60 ))" >/dev/null 2>&1 || true
fi

instance_id=""

# shellcheck disable=SC2317 # reached through the EXIT trap
finish() {
  status=$?
  # Reset first, so the exit below cannot run this again.
  trap - EXIT HUP INT TERM
  log "exiting with status $status; powering off"
  # Terminating through the API first is a second way out should poweroff not end the instance.
  if [ -n "$instance_id" ]; then
    aws ec2 terminate-instances --region "$SLIPWAY_REGION" --instance-ids "$instance_id" \
      --cli-connect-timeout 5 --cli-read-timeout 10 >/dev/null 2>&1 || true
  fi
  poweroff
  exit "$status"
}
trap finish EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

set -u
umask 077
step lifetime-armed

fail() {
  log "$*"
  exit 1
}

imds_token() {
  curl -fsS --max-time 5 --retry 5 --retry-connrefused -X PUT \
    -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "$SLIPWAY_IMDS/api/token"
}

imds_get() {
  curl -fsS --max-time 5 --retry 5 -H "X-aws-ec2-metadata-token: $1" "$SLIPWAY_IMDS/meta-data/$2"
}

# The launcher writes the parameter right after RunInstances, so it may lag the boot a little.
read_parameter() {
  attempt=0
  while [ "$attempt" -lt "$SLIPWAY_PARAMETER_ATTEMPTS" ]; do
    if value=$(aws ssm get-parameter --region "$SLIPWAY_REGION" --name "$1" --with-decryption \
      --query Parameter.Value --output text) && [ -n "$value" ] && [ "$value" != "None" ]; then
      printf '%s' "$value"
      return 0
    fi
    attempt=$((attempt + 1))
    sleep "$SLIPWAY_RETRY_SECONDS"
  done
  return 1
}

# A warm-pool node's first boot (tag slipway:pool=warm, no marker yet): warm the engine, make
# this script run again on the next boot (StartInstances reruns no user data), leave the
# marker, and stop, never power off (the launch template turns a power-off into a
# termination). The next boot finds the marker and takes its job like any node.
prepare_warm() {
  step warm-prepare
  wait "$engine_pid" || fail "the Docker engine did not start"
  mkdir -p "$SLIPWAY_PER_BOOT_DIR" "$SLIPWAY_WARM_DIR" || fail "cannot prepare the warm-pool boot"
  if ! { cp "$0" "$SLIPWAY_PER_BOOT_DIR/slipway-bootstrap.sh" && chmod 0700 "$SLIPWAY_PER_BOOT_DIR/slipway-bootstrap.sh"; }; then
    fail "cannot install the bootstrap for the next boot"
  fi
  : > "$SLIPWAY_WARM_DIR/warm-ready"
  aws ec2 stop-instances --region "$SLIPWAY_REGION" --instance-ids "$instance_id" \
    --cli-connect-timeout 5 --cli-read-timeout 10 >/dev/null || fail "could not stop for the warm pool"
  # Stopping: the lifetime and the EXIT trap would power off, which terminates.
  trap - EXIT
  kill "$lifetime_pid" 2>/dev/null || true
  if command -v shutdown >/dev/null 2>&1; then shutdown -c >/dev/null 2>&1 || true; fi
  step warm-stopping
  exit 0
}

start_engine() {
  if command -v systemctl >/dev/null 2>&1; then
    systemctl start docker || return 1
  else
    dockerd >/var/log/dockerd.log 2>&1 &
  fi
  waited=0
  until docker info >/dev/null 2>&1; do
    waited=$((waited + 1))
    [ "$waited" -ge "$SLIPWAY_ENGINE_WAIT_SECONDS" ] && return 1
    sleep 1
  done
}

main() {
  : "${SLIPWAY_GITLAB_URL:?}" "${SLIPWAY_REGION:?}" "${SLIPWAY_PARAMETER_PATH:?}"
  # The engine needs nothing from IMDS or SSM: it starts while those are asked.
  start_engine &
  engine_pid=$!
  imds=$(imds_token) || fail "no IMDSv2 session token"
  instance_id=$(imds_get "$imds" instance-id) || fail "no instance id from IMDS"
  case "$instance_id" in
    i-[0-9a-f]*) ;;
    *) instance_id=""; fail "unexpected instance id from IMDS" ;;
  esac
  step imds
  if [ -e "$SLIPWAY_WARM_DIR/warm-ready" ]; then
    # A warm-pool node started for a job: the marker is spent; from here on it is any node.
    rm -f "$SLIPWAY_WARM_DIR/warm-ready"
    log "warm-pool node started for a job"
  elif [ "$(imds_get "$imds" tags/instance/slipway:pool 2>/dev/null || true)" = warm ]; then
    prepare_warm
  fi
  if [ "$SLIPWAY_RUNNER_MODE" = pool ]; then
    # The fleet's shared token: read, never deleted (every pool node needs it).
    parameter="$SLIPWAY_PARAMETER_PATH/pool/runner-token"
    runner_token=$(read_parameter "$parameter") || fail "no runner token at $parameter"
  else
    parameter="$SLIPWAY_PARAMETER_PATH/$instance_id/runner-token"
    runner_token=$(read_parameter "$parameter") || fail "no runner token at $parameter"
    # Read once, then gone: a token left behind would outlive the job. The reaper deletes it too.
    aws ssm delete-parameter --region "$SLIPWAY_REGION" --name "$parameter" >/dev/null ||
      log "could not delete $parameter; the reaper will"
  fi
  step runner-token
  wait "$engine_pid" || fail "the Docker engine did not start"
  step engine-ready
  log "node $instance_id taking one job from $SLIPWAY_GITLAB_URL"
  step runner-started
  gitlab-runner run-single --url "$SLIPWAY_GITLAB_URL" --token "$runner_token" \
    --executor shell --max-builds 1 --wait-timeout "$SLIPWAY_WAIT_TIMEOUT" \
    --name "slipway-$instance_id" --builds-dir /var/lib/slipway/builds --cache-dir /var/lib/slipway/cache
  status=$?
  step runner-exited
  log "gitlab-runner exited with status $status"
  exit "$status"
}

main
