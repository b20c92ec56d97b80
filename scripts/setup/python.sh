#!/usr/bin/env bash
# Python toolchain for bindings/python: a venv at the repository root (.venv) with maturin and pytest.
# Idempotent: does nothing when the venv already holds exactly the pinned tools.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/bindings/python/requirements-dev.txt"
STAMP="$VENV/.relay-dev-requirements.sha256"

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup/python: creating $VENV"
  python3 -m venv "$VENV"
fi

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "setup/python: .venv up to date"
  exit 0
fi

echo "setup/python: installing $(grep -v '^#' "$REQ" | tr '\n' ' ')"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
echo "$want" > "$STAMP"
