#!/usr/bin/env bash
# Kotlin toolchain for the uniffi binding tests: kotlinc from the npm package `kotlin-compiler`
# (installed under bindings/uniffi/node_modules) and JNA from Debian's libjna-java.
# Idempotent: installs only what is missing; runs `apt-get update` only when a package is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/bindings/uniffi"
STAMP="$DIR/node_modules/.relay-lock.sha256"

if ! command -v java >/dev/null; then
  echo "setup/kotlin: a Java runtime (>= 17) is required but not installed" >&2
  exit 1
fi

if [ ! -f /usr/share/java/jna.jar ]; then
  echo "setup/kotlin: installing libjna-java"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends libjna-java >/dev/null
else
  echo "setup/kotlin: libjna-java present"
fi

want="$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$DIR/node_modules/kotlin-compiler/bin/kotlinc" ]; then
  echo "setup/kotlin: kotlinc up to date"
  exit 0
fi
echo "setup/kotlin: npm ci in bindings/uniffi (kotlin-compiler)"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" > "$STAMP"
