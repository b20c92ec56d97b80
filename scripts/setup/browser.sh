#!/usr/bin/env bash
# Browser tests of the page `relay serve` serves (crates/relay-server/tests/browser):
#   - Debian's `chromium` (headless, driven by playwright-core over CDP; nothing downloads a browser),
#   - `espeak-ng` to speak the test questions and `sox` to turn them into the WAV Chromium's fake
#     microphone reads (--use-file-for-fake-audio-capture),
#   - playwright-core, pinned in crates/relay-server/tests/browser/package-lock.json (`npm ci`;
#     playwright-core has no install script and never fetches a browser).
# Idempotent: apt runs only when a tool is missing; npm only when the lockfile changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v sox >/dev/null 2>&1 || missing+=(sox)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup/browser: apt-get install ${missing[*]}"
  $sudo_cmd apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" fonts-liberation
fi
chromium --version
espeak-ng --version
sox --version

command -v node >/dev/null || { echo "setup/browser: node (>= 20) is required but not installed" >&2; exit 1; }
dir="$ROOT/crates/relay-server/tests/browser"
stamp="$dir/node_modules/.relay-lock.sha256"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "setup/browser: node_modules up to date"
else
  echo "setup/browser: npm ci in crates/relay-server/tests/browser"
  # A symlinked node_modules (shared install) would be written through: use our own.
  [ -L "$dir/node_modules" ] && rm "$dir/node_modules"
  (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
fi
