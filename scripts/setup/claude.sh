#!/usr/bin/env bash
# Installs the real Claude Code CLI (`@anthropic-ai/claude-code` from npm) into the project-local
# prefix `.tools/npm` (ignored by git), so tests run against the real CLI on a fresh machine.
# Idempotent: does nothing when the pinned version is already installed there.
# Tests find the binary via RELAY_CLAUDE_BIN, else `.tools/npm/bin/claude`, else PATH.
set -euo pipefail

VERSION="${RELAY_CLAUDE_VERSION:-2.1.330}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="$ROOT/.tools/npm"
BIN="$PREFIX/bin/claude"

if [[ -x "$BIN" ]] && "$BIN" -v 2>/dev/null | grep -q "^$VERSION"; then
  echo "claude $VERSION already installed at $BIN"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is required to install @anthropic-ai/claude-code (install Node.js 18+)" >&2
  exit 1
fi

mkdir -p "$PREFIX"
# --prefix installs into $PREFIX/lib/node_modules with the bin link at $PREFIX/bin.
# The package ships a native binary per platform as an optional dependency; npm picks ours.
npm install --global --prefix "$PREFIX" --no-audit --no-fund --loglevel=error \
  "@anthropic-ai/claude-code@$VERSION"

"$BIN" -v
echo "claude installed at $BIN"
