#!/usr/bin/env bash
# The official MCP Python SDK (PyPI `mcp`) in the project's .venv: the client (and the test
# server) of the MCP tests (crates/relay-mcp/tests, crates/relay-cli/tests/mcp*.rs).
# Idempotent: does nothing when the pinned version is already installed there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="${RELAY_MCP_PY_VERSION:-2.3.0}"
PY="$ROOT/.venv/bin/python"

# The venv comes from python.sh (idempotent as well).
bash "$ROOT/scripts/setup/python.sh"

if "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$VERSION')" 2>/dev/null; then
  echo "setup/mcp: mcp $VERSION already installed in .venv"
  exit 0
fi
echo "setup/mcp: installing mcp==$VERSION into .venv"
"$PY" -m pip install --quiet --disable-pip-version-check "mcp==$VERSION"
