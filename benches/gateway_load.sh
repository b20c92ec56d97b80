#!/usr/bin/env bash
# The voice gateway under load: N concurrent conversations (default 200, 4 turns each, typed text
# and real-time speech alternating) against `relay serve` and against the Node example server
# (examples/node/voice-server), both in front of the testkit Realtime peer on loopback, one after
# the other in one run; prints memory per conversation, turn latency and each server's own share
# of it side by side (benches/RESULTS.md, "Voice gateway under load").
#
#   benches/gateway_load.sh [N] [TURNS] [more gateway-load arguments]
#   RELAY_LOAD_PROFILE=dev benches/gateway_load.sh      (a dev build: faster to build, slower)
#   RELAY_LOAD_PROFILE=dev-opt benches/gateway_load.sh  (Relay's crates at opt-level 3 over the
#                                                        dev build's dependencies)
#
# Needs scripts/setup/node.sh (the `ws` package of the example). Builds the `relay` binary and
# the harness with cargo, and Relay's Node binding (the example's tools) when it is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
profile="${RELAY_LOAD_PROFILE:-release}"
n="${1:-200}"
turns="${2:-4}"
shift $(( $# > 2 ? 2 : $# ))

build=(cargo build --quiet -p relay-cli --bin relay -p relay-gateway-load --bin gateway-load)
case "$profile" in
  dev) out="$CARGO_TARGET_DIR/debug" ;;
  # Relay's crates (and the harness) optimized, dependencies as the dev profile builds them:
  # reuses a dev build's dependencies instead of building all of them again in release.
  dev-opt) out="$CARGO_TARGET_DIR/debug"; build+=(--config profile.dev.opt-level=3) ;;
  *) out="$CARGO_TARGET_DIR/$profile"; build+=(--profile "$profile") ;;
esac
(cd "$ROOT" && "${build[@]}")

[ -d "$ROOT/examples/node/voice-server/node_modules/ws" ] || { echo "run scripts/setup/node.sh first" >&2; exit 1; }
if ! ls "$ROOT"/bindings/node/*.node >/dev/null 2>&1; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  (cd "$ROOT/bindings/node" && npx --no-install napi build --platform --release --output-dir "$scratch")
  cp "$scratch"/*.node "$ROOT/bindings/node/"
fi

echo "gateway-load: $n conversations x $turns turns, $profile build, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)" >&2
"$out/gateway-load" --relay "$out/relay" --node-script "$ROOT/examples/node/voice-server/server.mjs" \
  --conversations "$n" --turns "$turns" "$@"
