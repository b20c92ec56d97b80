#!/usr/bin/env bash
# Installs what the tests need (idempotently) and runs every check and test: rustfmt, clippy,
# Rust tests, the Rust example, Python, Node, Kotlin.
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

step "rust: format and lints"
# rustfmt and clippy are rustup components; add them when this toolchain lacks them.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
cargo fmt --all --check
# The lints are in the root Cargo.toml ([workspace.lints]); every warning fails the run.
cargo clippy --workspace --all-targets --locked -- -D warnings
# The API docs build without a broken link or a malformed item.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

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

step "rust: example (examples/rust on a fixture workspace)"
example_dir=$(mktemp -d)
trap 'rm -rf "$example_dir"' EXIT
scripts/bindings-fixture.sh "$example_dir/acme"
cargo run -p relay-example --locked -- "$example_dir/acme" | tee "$example_dir/out.txt"
for line in \
  "build order: shared-api -> backend -> frontend" \
  "a change to shared-api affects: backend, frontend" \
  "agent run in shared-api: success" \
  "agent run in backend: success" \
  "agent run in frontend: success" \
  'word_count: {"words":7}'; do
  if ! grep -qxF "$line" "$example_dir/out.txt"; then
    echo "relay-example: expected the line '$line' in its output" >&2
    exit 1
  fi
done

step "browser: the page relay serve serves, in headless chromium"
scripts/test-browser.sh

if [ -x scripts/test-bindings.sh ]; then
  step "bindings"
  scripts/test-bindings.sh
fi

step "all tests passed"
