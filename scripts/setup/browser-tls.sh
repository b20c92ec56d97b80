#!/usr/bin/env bash
# The browser test of the page over TLS (crates/relay-server/tests/browser/tls.test.mjs) makes a
# throwaway self-signed certificate with the `openssl` command. Idempotent: apt runs only when
# it is missing.
set -euo pipefail
if ! command -v openssl >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup/browser-tls: apt-get install openssl"
  $sudo_cmd apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssl
fi
openssl version
