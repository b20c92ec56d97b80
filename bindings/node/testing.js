'use strict'
// Test-only helpers of the Relay bindings, not part of the relay-sdk package (not in its "files",
// nor in the committed index.js / index.d.ts). They exist only in a native module built with the
// cargo feature `testing`: `napi build --platform --features testing` (scripts/test-bindings.sh).

const relay = require('./relay.js')

if (typeof relay.syntheticJob !== 'function') {
  throw new Error(
    'relay-sdk/testing.js needs the native module built with the cargo feature `testing` ' +
      '(napi build --platform --features testing)',
  )
}

/**
 * A job streaming `events` progress events and returning `events` (or failing with code
 * `synthetic_failure` and `failWith` as its message); for tests and boundary benchmarks.
 * @type {(options: { events: number, intervalMs?: number, failWith?: string }) => import('./relay').Job}
 */
const syntheticJob = relay.syntheticJob

module.exports = { syntheticJob }
