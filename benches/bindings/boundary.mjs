// Node side of the binding boundary benchmark (see run.sh): awaited status() and 100,000 events
// through `for await`, printed as one JSON object.
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)
const relay = require('../../bindings/node/relay.js')

const [workspace, callsArg, eventsArg] = process.argv.slice(2)
const calls = Number(callsArg)
const events = Number(eventsArg)

const ws = relay.Workspace.open(workspace)
for (let i = 0; i < calls / 10; i++) await ws.status()
const times = []
for (let i = 0; i < calls; i++) {
  const start = performance.now()
  const status = await ws.status()
  times.push((performance.now() - start) * 1000)
  if (status.length === 0) throw new Error('empty status')
}
times.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)]
const mean = times.reduce((a, b) => a + b, 0) / times.length

const start = performance.now()
let received = 0
for await (const _event of relay.syntheticJob({ events })) received++
const seconds = (performance.now() - start) / 1000
if (received !== events + 2) throw new Error(`got ${received} events`)
console.log(JSON.stringify({
  runtime: 'node',
  status_median_us: Math.round(median * 10) / 10,
  status_mean_us: Math.round(mean * 10) / 10,
  calls,
  events: received,
  events_per_s: Math.round(received / seconds),
}))
