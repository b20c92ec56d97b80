#!/usr/bin/env bash
# Captures a real stream-json transcript from the `claude` CLI run against the fake Anthropic API
# (relay-testkit), for the decoding benchmark and the decoder's fixture tests.
#   benches/agent/capture.sh [OUT]   (default: crates/relay-agent/tests/fixtures/transcript.jsonl)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/crates/relay-agent/tests/fixtures/transcript.jsonl}"
CLAUDE="${RELAY_CLAUDE_BIN:-$ROOT/.tools/npm/bin/claude}"
[[ -x "$CLAUDE" ]] || { echo "claude not found at $CLAUDE; run scripts/setup/claude.sh" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -q -p relay-testkit
TESTKIT="$CARGO_TARGET_DIR/debug/relay-testkit"

WORK="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
REPO="$WORK/repo"; mkdir -p "$REPO" "$WORK/home"
git -C "$REPO" init -q -b main
printf 'def add(a, b):\n    return a - b\n' > "$REPO/calc.py"

cat > "$WORK/script.json" <<JSON
{"turns": [
 {"kind": "reply", "text": "Let me look at the code first.", "tool_uses": [{"name": "Read", "input": {"file_path": "$REPO/calc.py"}}]},
 {"kind": "reply", "text": "The add function subtracts. I'll fix it.", "tool_uses": [{"name": "Edit", "input": {"file_path": "$REPO/calc.py", "old_string": "return a - b", "new_string": "return a + b"}}]},
 {"kind": "reply", "text": "Now a test.", "tool_uses": [{"name": "Write", "input": {"file_path": "$REPO/test_calc.py", "content": "from calc import add\n\ndef test_add():\n    assert add(2, 3) == 5\n"}}]},
 {"kind": "reply", "text": "Running it.", "tool_uses": [{"name": "Bash", "input": {"command": "python3 -c 'from calc import add; assert add(2, 3) == 5; print(\"ok\")'", "description": "run the check"}}]},
 {"kind": "reply", "text": "Fixed: add() now returns a + b, and test_calc.py checks it. The check printed ok."}
]}
JSON
"$TESTKIT" anthropic --script "$WORK/script.json" > "$WORK/url" &
SERVER=$!
for _ in $(seq 50); do [[ -s "$WORK/url" ]] && break; sleep 0.1; done
URL="$(head -1 "$WORK/url")"; echo "fake API at $URL" >&2

mkdir -p "$(dirname "$OUT")"
( printf '%s\n' '{"type":"control_request","request_id":"init","request":{"subtype":"initialize","hooks":null}}'
  printf '%s\n' '{"type":"user","message":{"role":"user","content":"fix add() and test it"},"parent_tool_use_id":null,"session_id":""}'
  sleep 30 ) | (cd "$REPO" && env ANTHROPIC_BASE_URL="$URL" ANTHROPIC_API_KEY=test HOME="$WORK/home" \
    CLAUDE_CONFIG_DIR="$WORK/home/.claude" CLAUDE_CODE_MAX_RETRIES=0 DISABLE_TELEMETRY=1 \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    "$CLAUDE" --print --output-format stream-json --verbose --input-format stream-json \
    --include-partial-messages --allowedTools Read,Edit,Write,Bash) > "$OUT.tmp" &
PIPE=$!
# The CLI keeps running while stdin is open: stop once the result frame is written.
for _ in $(seq 300); do grep -q '"type":"result"' "$OUT.tmp" 2>/dev/null && break; sleep 0.1; done
kill "$PIPE" 2>/dev/null || true
pkill -P "$PIPE" 2>/dev/null || true
wait "$PIPE" 2>/dev/null || true
# Absolute temp paths and ids vary per capture; keep them as they are (they are real output).
mv "$OUT.tmp" "$OUT"
echo "captured $(wc -l < "$OUT") frames ($(wc -c < "$OUT") bytes) into $OUT"
