#!/usr/bin/env bash
# The whole test suite: installs what the tests run against when missing (Debian's
# redis-server/redis-tools, the reference Redis of the differential tests; prometheus, which
# server/tests/deploy.rs runs against a real Shardis; systemd, for `systemd-analyze verify` of
# deploy/shardis.service), then runs every crate's tests.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  missing+=(redis-server redis-tools)
fi
if ! command -v prometheus >/dev/null 2>&1; then
  missing+=(prometheus)
fi
if ! command -v systemd-analyze >/dev/null 2>&1; then
  missing+=(systemd)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  # Install only: no package may start its service (prometheus's would listen on 9090, the
  # tests run their own Prometheus on a free port). A policy-rc.d answering 101 makes
  # invoke-rc.d/deb-systemd-invoke skip every start; one already in place is left as it is.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 0755 "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cargo test --workspace --all-targets
