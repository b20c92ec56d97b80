#!/usr/bin/env bash
# Stream-json decoding: Relay's Claude Code adapter decoder vs the official Python SDK's reader
# (claude-agent-sdk from PyPI), on the same bytes, in one run.
#   benches/agent/compare.sh [ITERATIONS]
# Workloads: the real captured transcript (crates/relay-agent/tests/fixtures/transcript.jsonl)
# repeated to ~20 MB, and a transcript holding one 64 MiB line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ITER="${1:-7}"
SDK_VERSION="0.2.187"
VENV="$ROOT/.tools/bench-venv"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

if ! "$VENV/bin/python" -c "import claude_agent_sdk" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "claude-agent-sdk==$SDK_VERSION"
fi
cargo build --quiet --release -p relay-agent --example decode_stream_json
RUST="$CARGO_TARGET_DIR/release/examples/decode_stream_json"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
FIXTURE="$ROOT/crates/relay-agent/tests/fixtures/transcript.jsonl"
for _ in $(seq 450); do cat "$FIXTURE"; done > "$WORK/transcript.jsonl"
"$VENV/bin/python" - "$WORK/big-line.jsonl" <<'PY'
import json, sys
big = "y" * (64 * 1024 * 1024)
frame = {"type": "user", "message": {"role": "user", "content": [
    {"type": "tool_result", "tool_use_id": "toolu_1", "content": big}]},
    "parent_tool_use_id": None, "session_id": "s"}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(frame) + "\n")
    f.write(json.dumps({"type": "result", "subtype": "success", "is_error": False,
                        "num_turns": 1, "total_cost_usd": 0.1, "session_id": "s"}) + "\n")
PY

echo "# $(date -u +%FT%TZ) $(nproc) cores; python $("$VENV/bin/python" -V 2>&1 | cut -d' ' -f2), claude-agent-sdk $SDK_VERSION"
run() { /usr/bin/time -f '{"max_rss_kb": %M}' "$@" 2>"$WORK/rss"; cat "$WORK/rss"; }
echo "## transcript x450 ($(wc -c < "$WORK/transcript.jsonl") bytes)"
run "$RUST" "$WORK/transcript.jsonl" "$ITER"
run "$VENV/bin/python" "$ROOT/benches/agent/sdk_reader.py" "$WORK/transcript.jsonl" "$ITER"
echo "## one 64 MiB line ($(wc -c < "$WORK/big-line.jsonl") bytes)"
run "$RUST" "$WORK/big-line.jsonl" 3
run "$VENV/bin/python" "$ROOT/benches/agent/sdk_reader.py" "$WORK/big-line.jsonl" 3
run "$VENV/bin/python" "$ROOT/benches/agent/sdk_reader.py" "$WORK/big-line.jsonl" 3 $((128 * 1024 * 1024))
