#!/usr/bin/env bash
# Debian packages every test run needs. Idempotent: apt runs only when something is missing.
set -euo pipefail
need=()
command -v git >/dev/null 2>&1 || need+=(git)
command -v xargs >/dev/null 2>&1 || need+=(findutils)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
git --version
