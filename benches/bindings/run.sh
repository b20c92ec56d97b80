#!/usr/bin/env bash
# Cost of crossing the binding boundary, in one run: an awaited status() on a small workspace
# (3 git repositories) from Rust, Python and Node, and 100,000 events streamed through the real
# relay_core::Job machinery into each. Release builds; run scripts/setup/{python,node}.sh first.
# Usage: benches/bindings/run.sh [CALLS=300] [EVENTS=100000] [ROUNDS=3]
# Prints one JSON line per runtime and round, then a summary table (medians over rounds).
# Note: it installs release builds of the Python and Node bindings in place; the test command
# (scripts/test-bindings.sh) reinstalls debug builds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CALLS="${1:-300}"; EVENTS="${2:-100000}"; ROUNDS="${3:-3}"

ws="$(mktemp -d)"; trap 'rm -rf "$ws"' EXIT
"$ROOT/scripts/bindings-fixture.sh" "$ws"

echo "building release artifacts..." >&2
(cd "$ROOT" && cargo build --quiet --release -p relay-bindings-common --example boundary_baseline)
(cd "$ROOT/bindings/python" && VIRTUAL_ENV="$ROOT/.venv" PATH="$ROOT/.venv/bin:$PATH" maturin develop --quiet --release)
(cd "$ROOT/bindings/node" && npx --no-install napi build --platform --release --js index.js --dts index.d.ts >/dev/null)

results="$(mktemp)"
for round in $(seq 1 "$ROUNDS"); do
  "$CARGO_TARGET_DIR/release/examples/boundary_baseline" "$ws" "$CALLS" "$EVENTS" | tee -a "$results"
  "$ROOT/.venv/bin/python" "$ROOT/benches/bindings/boundary.py" "$ws" "$CALLS" "$EVENTS" | tee -a "$results"
  node "$ROOT/benches/bindings/boundary.mjs" "$ws" "$CALLS" "$EVENTS" | tee -a "$results"
done

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r["runtime"], []).append(r)
med = {k: {f: statistics.median(x[f] for x in v) for f in ("status_median_us", "events_per_s")} for k, v in by.items()}
rust = med["rust"]["status_median_us"]
print()
print("| runtime | awaited status() median µs | added vs Rust µs | ratio | events/s (100k stream) |")
print("|---|---|---|---|---|")
for k in ("rust", "python", "node"):
    m = med[k]
    print(f"| {k} | {m['status_median_us']:.1f} | {m['status_median_us'] - rust:+.1f} | {m['status_median_us'] / rust:.2f} | {m['events_per_s']:,.0f} |")
PY
