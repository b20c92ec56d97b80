#!/usr/bin/env bash
# Node toolchain: npm dependencies from the lockfiles of
#   bindings/node                  (@napi-rs/cli, to build the relay-sdk package)
#   examples/node/voice-server     (ws, for the example voice server and its test)
# Idempotent: skips a directory whose node_modules matches its package-lock.json.
# `npm install --no-save` rather than `npm ci`: npm 11 leaves the other platforms' optional
# packages of @napi-rs/cli's native helpers out of the lockfile, and `npm ci` then refuses it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

command -v node >/dev/null || { echo "setup/node: node (>= 20) is required but not installed" >&2; exit 1; }

install() {
  local dir="$ROOT/$1"
  local stamp="$dir/node_modules/.relay-lock.sha256"
  local want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "setup/node: $1/node_modules up to date"
    return
  fi
  echo "setup/node: npm install in $1"
  (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

install bindings/node
install examples/node/voice-server
