#!/usr/bin/env bash
# Node toolchain for bindings/node: npm dependencies (incl. @napi-rs/cli) from the lockfile.
# Idempotent: skips the install when node_modules matches package-lock.json.
# `npm install --no-save` rather than `npm ci`: npm 11 leaves the other platforms' optional
# packages of @napi-rs/cli's native helpers out of the lockfile, and `npm ci` then refuses it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/bindings/node"
STAMP="$DIR/node_modules/.relay-lock.sha256"

command -v node >/dev/null || { echo "setup/node: node (>= 20) is required but not installed" >&2; exit 1; }
want="$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "setup/node: node_modules up to date"
  exit 0
fi
echo "setup/node: npm install in bindings/node"
(cd "$DIR" && npm install --no-save --no-audit --no-fund --loglevel=error)
echo "$want" > "$STAMP"
