#!/usr/bin/env bash
# Cost of crossing the binding boundary, in one run: an awaited status() on a small workspace
# (3 git repositories) from Rust, Python and Node, and 100,000 events streamed through the real
# relay_core::Job machinery into each. Release builds; run scripts/setup/{python,node}.sh first.
# Usage: benches/bindings/run.sh [CALLS=300] [EVENTS=100000] [ROUNDS=3]
# Each runtime makes CALLS awaited status() calls of the 3 repositories, each followed by 10 of an
# empty selection (same code path without git work: the cost of the call itself).
# Prints one JSON line per runtime and round, then a summary table (medians over rounds).
# Note: it installs release builds of the Python and Node bindings in place, with the cargo feature
# `testing` (synthetic_job streams the events); the test command (scripts/test-bindings.sh)
# reinstalls debug builds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
CALLS="${1:-300}"; EVENTS="${2:-100000}"; ROUNDS="${3:-3}"

ws="$(mktemp -d)"; trap 'rm -rf "$ws" "$ws.napi"' EXIT
"$ROOT/scripts/bindings-fixture.sh" "$ws"

echo "building release artifacts..." >&2
(cd "$ROOT" && cargo build --quiet --release -p relay-bindings-common --features testing --example boundary_baseline)
(cd "$ROOT/bindings/python" && VIRTUAL_ENV="$ROOT/.venv" PATH="$ROOT/.venv/bin:$PATH" maturin develop --quiet --release --features testing)
# Only the .node: the committed index.js / index.d.ts are those of a build without `testing`.
(cd "$ROOT/bindings/node" && npx --no-install napi build --platform --release --features testing \
  --output-dir "$ws.napi" --js index.js --dts index.d.ts >/dev/null)
cp "$ws.napi"/*.node "$ROOT/bindings/node/"

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
fields = ("status_median_us", "empty_status_median_us", "events_per_s")
med = {k: {f: statistics.median(x[f] for x in v) for f in fields} for k, v in by.items()}
rust = med["rust"]
print()
print("| runtime | status() of 3 repos, median µs | ratio to Rust | status() of an empty selection, median µs | added per awaited call vs Rust, µs | events/s, 100k-event stream |")
print("|---|---|---|---|---|---|")
for k in ("rust", "python", "node"):
    m = med[k]
    print(f"| {k} | {m['status_median_us']:.1f} | {m['status_median_us'] / rust['status_median_us']:.2f} | "
          f"{m['empty_status_median_us']:.1f} | {m['empty_status_median_us'] - rust['empty_status_median_us']:+.1f} | {m['events_per_s']:,.0f} |")
py = [r["executor_roundtrip_median_us"] for r in by["python"]]
print()
print(f"python, for scale: `await loop.run_in_executor(None, int)` (a no-op on a thread pool) median {statistics.median(py):.1f} µs")
PY
