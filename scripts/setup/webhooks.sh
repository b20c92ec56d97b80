#!/usr/bin/env bash
# Installs GitHub's webhook schemas and example payloads (npm `@octokit/openapi-webhooks`) into
# the project-local prefix `.tools/octokit-webhooks` (ignored by git). relay-server's webhook tests
# sign and post these examples and validate what they parse against the schemas.
# Idempotent: does nothing when the pinned version is already installed there.
# Tests find the package via RELAY_OCTOKIT_WEBHOOKS, else `.tools/octokit-webhooks`.
set -euo pipefail

VERSION="${RELAY_OCTOKIT_WEBHOOKS_VERSION:-12.1.0}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="$ROOT/.tools/octokit-webhooks"
PKG="$PREFIX/node_modules/@octokit/openapi-webhooks"

if [[ -f "$PKG/package.json" ]] && grep -q "\"version\": \"$VERSION\"" "$PKG/package.json"; then
  echo "@octokit/openapi-webhooks $VERSION already installed at $PKG"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is required to install @octokit/openapi-webhooks (install Node.js 18+)" >&2
  exit 1
fi

mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  "@octokit/openapi-webhooks@$VERSION"

test -f "$PKG/package.json"
echo "@octokit/openapi-webhooks $VERSION installed at $PKG"
