#!/usr/bin/env bash
# The sqlite3 CLI, which the Node binding test of the audit chain uses to tamper with a store file
# (Python uses its own sqlite3 module). Idempotent: apt runs only when sqlite3 is missing.
set -euo pipefail
if ! command -v sqlite3 >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sqlite3
fi
sqlite3 --version
