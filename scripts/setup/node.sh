#!/usr/bin/env bash
# Node toolchain for bindings/node: npm dependencies (incl. @napi-rs/cli) from the lockfile.
# Idempotent: skips `npm ci` when node_modules matches package-lock.json.
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
echo "setup/node: npm ci in bindings/node"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" > "$STAMP"
