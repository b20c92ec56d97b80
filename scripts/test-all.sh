#!/usr/bin/env bash
# Installs what the tests need (idempotently) and runs every test: Rust, Python, Node, Kotlin.
# Works on a fresh machine that reaches only the package registries (crates.io, PyPI, npm, Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# One shared target directory outside the clone, so repeated runs (and CI caches) reuse builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/relay/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL=0
mkdir -p "$CARGO_TARGET_DIR"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "setup"
for script in scripts/setup/*.sh; do
  [ -e "$script" ] || continue
  echo "-- $script"
  bash "$script"
done
# Tools installed by the setup scripts into the project (npm prefix, venv) come first on PATH.
export PATH="$root/.tools/npm/bin:$root/.venv/bin:$PATH"

step "rust: build"
cargo build --workspace --all-targets --locked

step "rust: tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

step "rust: doc tests"
cargo test --workspace --locked --doc

if [ -x scripts/test-bindings.sh ]; then
  step "bindings"
  scripts/test-bindings.sh
fi

step "all tests passed"
