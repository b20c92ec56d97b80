#!/usr/bin/env bash
# Builds each language binding once (debug) and runs its tests:
#   Python  maturin develop into .venv, then pytest      (bindings/python/tests)
#   Node    napi build, then node --test                 (bindings/node/__test__,
#           examples/node/voice-server/test; peers from the relay-testkit binary)
#   Kotlin  cargo build + uniffi-bindgen, kotlinc, java  (bindings/uniffi/tests/kotlin)
#   Swift   bindings generated only (no Swift toolchain here: untested)
# Every binding is built with the cargo feature `testing`, which adds the test-only
# `synthetic_job` (Python relay._testing, Node testing.js, Kotlin syntheticJob); the published
# API, and the committed Node index.js / index.d.ts, are those of a build without it.
# Needs scripts/setup/{python,node,kotlin}.sh to have run (scripts/test-all.sh runs them).
# Usage: scripts/test-bindings.sh [python] [node] [kotlin]   (default: all three)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TARGET="$CARGO_TARGET_DIR"
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(python node kotlin)

step() { printf '\n== bindings/%s: %s\n' "$1" "$2"; }

# A workspace for running the examples (each example must run and print the build order).
demo="$(mktemp -d)"
trap 'rm -rf "$demo"' EXIT
"$ROOT/scripts/bindings-fixture.sh" "$demo/ws"
expect_tour() {
  grep -q "build order: shared-api -> backend -> frontend" <<<"$1" || {
    printf 'example output lacks the build order:\n%s\n' "$1" >&2
    exit 1
  }
  echo "example ok"
}

test_python() {
  step python "maturin develop --features testing into $ROOT/.venv"
  [ -x "$ROOT/.venv/bin/maturin" ] || { echo "run scripts/setup/python.sh first" >&2; exit 1; }
  (cd "$ROOT/bindings/python" &&
    VIRTUAL_ENV="$ROOT/.venv" PATH="$ROOT/.venv/bin:$PATH" maturin develop --quiet --features testing)
  step python "cargo build -p relay-testkit (the test peers: fake Anthropic, Realtime, Proxmox)"
  (cd "$ROOT" && cargo build --quiet -p relay-testkit --bin relay-testkit)
  step python "pytest"
  # The tests find the real claude CLI via RELAY_CLAUDE_BIN, else .tools/npm/bin/claude (setup/claude.sh).
  (cd "$ROOT/bindings/python" &&
    RELAY_TESTKIT_BIN="$TARGET/debug/relay-testkit" "$ROOT/.venv/bin/python" -m pytest -q tests)
  step python "examples/python/workspace_tour.py"
  expect_tour "$("$ROOT/.venv/bin/python" "$ROOT/examples/python/workspace_tour.py" "$demo/ws")"
  step python "examples/python/voice_agent.py"
  local out
  out="$("$ROOT/.venv/bin/python" "$ROOT/examples/python/voice_agent.py" "$demo/ws")"
  grep -q "relay: Changing shared-api affects backend, frontend" <<<"$out" &&
    grep -q "agent run: shared-api success, backend success, frontend success" <<<"$out" &&
    grep -q '"owner":"payments team"' <<<"$out" ||
    { printf 'voice_agent.py did not run the agent, the conversation and the Python tool:\n%s\n' "$out" >&2; exit 1; }
  echo "example ok"
  step python "examples/python/memory_tour.py"
  out="$("$ROOT/.venv/bin/python" "$ROOT/examples/python/memory_tour.py" "$demo/ws" --store "sqlite:$demo/memory-tour.db")"
  grep -q "session memory-tour: 3 turns saved" <<<"$out" && grep -q "audit chain: intact" <<<"$out" ||
    { printf 'memory_tour.py did not save the session or verify the audit log:\n%s\n' "$out" >&2; exit 1; }
  echo "example ok"
}

test_node() {
  step node "napi build (debug, --features testing)"
  [ -d "$ROOT/bindings/node/node_modules/@napi-rs/cli" ] || { echo "run scripts/setup/node.sh first" >&2; exit 1; }
  # Built into a scratch directory: only the .node is installed next to relay.js. The committed
  # index.js / index.d.ts describe a build without `testing`: they are regenerated from this build
  # minus the exports of bindings/node/src/testing.rs (which tests get from testing.js).
  local napi_out="$demo/napi"
  (cd "$ROOT/bindings/node" && npx --no-install napi build --platform --features testing \
    --output-dir "$napi_out" --js index.js --dts index.d.ts)
  cp "$napi_out"/*.node "$ROOT/bindings/node/"
  node - "$napi_out" "$ROOT/bindings/node" syntheticJob SyntheticJobOptions <<'JS'
const fs = require('node:fs')
const path = require('node:path')
const [from, to, ...testOnly] = process.argv.slice(2)
const names = new Set(testOnly)
const read = (file) => fs.readFileSync(path.join(from, file), 'utf8')
const dropped = new Set()
const keep = (name) => !(name && names.has(name) && dropped.add(name))
// index.js: one `module.exports.NAME = nativeBinding.NAME` line per export.
const js = read('index.js').split('\n').filter((line) => keep(/^module\.exports\.(\w+) = /.exec(line)?.[1]))
// index.d.ts: top-level declarations (with their doc comments) separated by blank lines.
const declared = /^export (?:declare )?(?:function|interface|class|type|const enum|enum) (\w+)/m
const dts = read('index.d.ts').split('\n\n').filter((block) => keep(declared.exec(block)?.[1]))
const missing = testOnly.filter((name) => !dropped.has(name))
if (missing.length) throw new Error(`test-only exports not in the build: ${missing.join(', ')}`)
fs.writeFileSync(path.join(to, 'index.js'), js.join('\n'))
fs.writeFileSync(path.join(to, 'index.d.ts'), dts.join('\n\n'))
JS
  step node "cargo build -p relay-testkit (the test peers) and scripts/setup/claude.sh"
  (cd "$ROOT" && cargo build --quiet -p relay-testkit --bin relay-testkit)
  "$ROOT/scripts/setup/claude.sh" >/dev/null
  step node "node --test"
  (cd "$ROOT/bindings/node" && node --test __test__/)
  step node "examples/node/workspace-tour.mjs"
  expect_tour "$(node "$ROOT/examples/node/workspace-tour.mjs" "$demo/ws")"
  step node "examples/node/memory-tour.mjs"
  local tour
  tour="$(node "$ROOT/examples/node/memory-tour.mjs" "$demo/ws" "sqlite:$demo/memory-tour-node.db")"
  grep -q "session memory-tour: 3 turns saved" <<<"$tour" && grep -q "audit chain: intact" <<<"$tour" ||
    { printf 'memory-tour.mjs did not save the session or verify the audit log:\n%s\n' "$tour" >&2; exit 1; }
  echo "example ok"
  step node "examples/node/voice-server (node --test, against the fake Realtime server)"
  [ -d "$ROOT/examples/node/voice-server/node_modules/ws" ] || { echo "run scripts/setup/node.sh first" >&2; exit 1; }
  (cd "$ROOT/examples/node/voice-server" && node --test test/)
  # The load bench's comparison at a small N: both servers speak protocol 1 to the same client,
  # every turn is answered (the harness exits non-zero otherwise). Numbers: benches/RESULTS.md.
  step node "gateway-load: relay serve and the Node example side by side (5 conversations x 2 turns)"
  (cd "$ROOT" && cargo build --quiet -p relay-cli --bin relay -p relay-gateway-load --bin gateway-load)
  "$TARGET/debug/gateway-load" --relay "$TARGET/debug/relay" \
    --node-script "$ROOT/examples/node/voice-server/server.mjs" --conversations 5 --turns 2
}

test_kotlin() {
  local kotlin="$ROOT/bindings/uniffi/node_modules/kotlin-compiler"
  local jna=/usr/share/java/jna.jar
  local gen="$TARGET/uniffi"
  [ -x "$kotlin/bin/kotlinc" ] && [ -f "$jna" ] || { echo "run scripts/setup/kotlin.sh first" >&2; exit 1; }
  step uniffi "cargo build -p relay-uniffi --features testing -p uniffi-bindgen"
  # One invocation, so both share one feature set of uniffi (no second build of it). `testing`
  # adds syntheticJob to the library, hence to the Kotlin and Swift generated from it.
  (cd "$ROOT" && cargo build --quiet -p relay-uniffi --features relay-uniffi/testing -p uniffi-bindgen)
  step uniffi "generate Kotlin (dev.relay) and Swift (Relay) sources into $gen"
  rm -rf "$gen/kotlin" "$gen/swift"
  for lang in kotlin swift; do
    (cd "$ROOT" && "$TARGET/debug/uniffi-bindgen" generate --no-format \
      --library "$TARGET/debug/librelay_uniffi.so" --language "$lang" --out-dir "$gen/$lang")
  done
  echo "Swift bindings generated (untested: no Swift toolchain): $(ls "$gen/swift" | tr '\n' ' ')"
  step uniffi "cargo build -p relay-testkit (the test peers) and find the claude CLI"
  (cd "$ROOT" && cargo build --quiet -p relay-testkit --bin relay-testkit)
  export RELAY_TESTKIT_BIN="$TARGET/debug/relay-testkit"
  # Like relay_testkit::claude_cli::claude_bin: RELAY_CLAUDE_BIN, the project-local install, PATH.
  if [ -z "${RELAY_CLAUDE_BIN:-}" ]; then
    RELAY_CLAUDE_BIN="$ROOT/.tools/npm/bin/claude"
    [ -x "$RELAY_CLAUDE_BIN" ] || RELAY_CLAUDE_BIN="$(command -v claude || echo "$RELAY_CLAUDE_BIN")"
  fi
  export RELAY_CLAUDE_BIN
  step kotlin "kotlinc (bindings + tests + example) and run the tests"
  local cp="$jna:$kotlin/lib/kotlinx-coroutines-core-jvm.jar"
  # One compilation for tests and example: kotlinc's start-up dominates on two cores.
  "$kotlin/bin/kotlinc" -nowarn "$gen/kotlin/dev/relay/relay.kt" "$ROOT"/bindings/uniffi/tests/kotlin/*.kt \
    "$ROOT/examples/kotlin/WorkspaceTour.kt" "$ROOT/examples/kotlin/AgentTour.kt" \
    "$ROOT/examples/kotlin/MemoryTour.kt" -cp "$cp" -d "$gen/relay-kotlin.jar"
  local run=(java -Djna.library.path="$TARGET/debug" -cp "$gen/relay-kotlin.jar:$cp:$kotlin/lib/kotlin-stdlib.jar")
  # Hermetic settings: no OpenAI key (the voice tests check the missing-key error and pass keys
  # explicitly); Proxmox only from the test's relay.yaml plus the secret of the fake PVE's token.
  env -u OPENAI_API_KEY -u PROXMOX_URL -u PROXMOX_NODE -u PROXMOX_TOKEN_ID -u PROXMOX_USER \
    -u PROXMOX_PASSWORD -u PROXMOX_CA_FILE -u PROXMOX_FINGERPRINT -u PROXMOX_INSECURE -u GITHUB_TOKEN -u GH_TOKEN \
    PROXMOX_TOKEN_SECRET=kotlin-fake-pve-secret "${run[@]}" RelayTestsKt
  step kotlin "examples/kotlin/WorkspaceTour.kt"
  expect_tour "$("${run[@]}" WorkspaceTourKt "$demo/ws")"
  step kotlin "examples/kotlin/AgentTour.kt"
  local agent_tour
  agent_tour="$("${run[@]}" dev.relay.examples.AgentTourKt "$demo/ws")"
  grep -q "\[backend\]  M file1.txt" <<<"$agent_tour" &&
    grep -q "restored after rollback: backend frontend shared-api" <<<"$agent_tour" &&
    grep -q "after down: not_found" <<<"$agent_tour" || {
    printf 'AgentTour output lacks the agent output or the environment steps:\n%s\n' "$agent_tour" >&2
    exit 1
  }
  echo "example ok"
  step kotlin "examples/kotlin/MemoryTour.kt"
  local memory_tour
  memory_tour="$("${run[@]}" dev.relay.examples.MemoryTourKt "$demo/ws" "sqlite:$demo/memory-tour-kotlin.db")"
  grep -q "session memory-tour: 3 turns saved" <<<"$memory_tour" && grep -q "audit chain: intact" <<<"$memory_tour" ||
    { printf 'MemoryTour.kt did not save the session or verify the audit log:\n%s\n' "$memory_tour" >&2; exit 1; }
  echo "example ok"
}

for lang in "${langs[@]}"; do
  case "$lang" in
    python) test_python ;;
    node) test_node ;;
    kotlin) test_kotlin ;;
    *) echo "unknown binding '$lang': use python, node or kotlin" >&2; exit 2 ;;
  esac
done
