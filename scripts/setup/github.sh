#!/usr/bin/env bash
# Installs GitHub's own API descriptions for the GitHub peer's faithfulness checks into the
# project-local prefix `.tools/octokit` (ignored by git):
#   @octokit/openapi        the OpenAPI description of api.github.com (REST requests and responses
#                           are validated against it)
#   @octokit/graphql-schema GitHub's GraphQL schema (the GraphQL queries Relay sends are checked
#                           against it)
# Idempotent: does nothing when the pinned versions are already there.
# Tests find the files via RELAY_GITHUB_OPENAPI / RELAY_GITHUB_GRAPHQL_SCHEMA, else under this prefix.
set -euo pipefail

OPENAPI_VERSION="${RELAY_OCTOKIT_OPENAPI_VERSION:-23.0.2}"
GRAPHQL_VERSION="${RELAY_OCTOKIT_GRAPHQL_SCHEMA_VERSION:-15.26.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="$ROOT/.tools/octokit"
MODULES="$PREFIX/node_modules/@octokit"

installed() {
  local pkg="$1" version="$2"
  [[ -f "$MODULES/$pkg/package.json" ]] &&
    grep -q "\"version\": \"$version\"" "$MODULES/$pkg/package.json"
}

if installed openapi "$OPENAPI_VERSION" && installed graphql-schema "$GRAPHQL_VERSION"; then
  echo "@octokit/openapi $OPENAPI_VERSION and @octokit/graphql-schema $GRAPHQL_VERSION already in $PREFIX"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is required to install @octokit/openapi (install Node.js 18+)" >&2
  exit 1
fi

mkdir -p "$PREFIX"
# Only the JSON files are used; --ignore-scripts: nothing to build.
npm install --prefix "$PREFIX" --no-audit --no-fund --no-save --ignore-scripts --loglevel=error \
  "@octokit/openapi@$OPENAPI_VERSION" "@octokit/graphql-schema@$GRAPHQL_VERSION"
echo "GitHub API descriptions installed in $MODULES"
