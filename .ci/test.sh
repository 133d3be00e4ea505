#!/usr/bin/env bash
# The whole test suite: installs Debian's redis-server/redis-tools (the reference Redis the
# differential tests compare against) when missing, then runs every crate's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
fi
cargo test --workspace --all-targets
