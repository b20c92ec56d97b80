#!/usr/bin/env bash
# Tools the infra tests use besides git: curl (talks to `relay-testkit proxmox` as a foreign
# client) and python3 (allocates past a local environment's memory limit). Idempotent.
set -euo pipefail
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
curl --version | head -1
