#!/usr/bin/env bash
# What Claude Code's own Bash sandbox needs on Linux (bubblewrap and socat), for the test that
# turns it on through `--settings` (crates/relay-agent/tests/confinement.rs).
# Idempotent: does nothing when both are installed.
set -euo pipefail
if command -v bwrap >/dev/null && command -v socat >/dev/null; then
  echo "setup/sandbox: bubblewrap and socat present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get install -y bubblewrap socat >/dev/null 2>&1 || {
  $SUDO apt-get update >/dev/null
  $SUDO apt-get install -y bubblewrap socat >/dev/null
}
echo "setup/sandbox: installed bubblewrap and socat"
