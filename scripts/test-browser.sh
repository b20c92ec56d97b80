#!/usr/bin/env bash
# Browser tests of the page `relay serve` serves (crates/relay-server/tests/browser): headless
# Debian chromium with a fake microphone (espeak-ng speech), the real `relay serve` and the
# testkit's fake Realtime peer on loopback. Every test owns its processes and ends them.
# Needs scripts/setup/browser.sh (chromium, espeak-ng, sox, playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/relay/target}"
bash scripts/setup/browser.sh >/dev/null
bash scripts/setup/browser-tls.sh >/dev/null
bash scripts/setup/redis.sh >/dev/null # crosshost.test.mjs: two servers on one redis-server
cargo build --locked -p relay-cli -p relay-testkit --quiet
cd crates/relay-server/tests/browser
# Bounded: each test has its own deadlines; the whole run stops after 10 minutes.
timeout --kill-after=10 600 node --test --test-concurrency=1 --test-timeout=180000 ./*.test.mjs
