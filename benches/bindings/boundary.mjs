// Node side of the binding boundary benchmark (see run.sh): awaited status() and 100,000 events
// through `for await`, printed as one JSON object.
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)
const relay = require('../../bindings/node/relay.js')
const { syntheticJob } = require('../../bindings/node/testing.js')

const [workspace, callsArg, eventsArg] = process.argv.slice(2)
const calls = Number(callsArg)
const events = Number(eventsArg)

const ws = relay.Workspace.open(workspace)
// Same protocol as the Rust baseline: each full status() is followed by 10 of an empty selection
// (the call's own cost); the first tenth of the rounds is warm-up.
const full = []
const empty = []
const warmup = Math.floor(calls / 10)
for (let round = 0; round < calls + warmup; round++) {
  let start = performance.now()
  const status = await ws.status()
  const elapsed = (performance.now() - start) * 1000
  if (status.length !== 3) throw new Error(`status of ${status.length} repositories`)
  for (let i = 0; i < 10; i++) {
    start = performance.now()
    const none = await ws.status({ repos: [] })
    const e = (performance.now() - start) * 1000
    if (none.length !== 0) throw new Error('non-empty status')
    if (round >= warmup) empty.push(e)
  }
  if (round >= warmup) full.push(elapsed)
}
const median = (v) => {
  v.sort((a, b) => a - b)
  return Math.round(v[Math.floor(v.length / 2)] * 10) / 10
}

const start = performance.now()
let received = 0
for await (const _event of syntheticJob({ events })) received++
const seconds = (performance.now() - start) / 1000
if (received !== events + 2) throw new Error(`got ${received} events`)
console.log(JSON.stringify({
  runtime: 'node',
  status_median_us: median(full),
  empty_status_median_us: median(empty),
  calls,
  events: received,
  events_per_s: Math.round(received / seconds),
}))
