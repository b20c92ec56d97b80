#!/usr/bin/env bash
# redis-server for the store's Redis tests (relay-store, relay-cli): the tests start their own
# server on a free loopback port (relay_testkit::redis::RedisServer) and stop it afterwards.
# Idempotent: apt runs only when redis-server is missing.
set -euo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server
  # The package starts a system-wide server where a service manager exists; tests never use it.
fi
redis-server --version
