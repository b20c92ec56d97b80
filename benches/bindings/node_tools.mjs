// What a Node voice server pays to delegate one tool call to Relay: `await tools.call(name, args)`
// (a tool job: JSON arguments in, `{ ok, value }` out, through the real registry) against the
// same work called directly (`ws.impact`, synchronous, no job), and a whole `project_status`
// round trip on a 3-repository workspace; and a tool written in JavaScript (`tools.register`), sync
// and async, whose call crosses Rust -> JavaScript -> Rust inside the tool job.
//
//   node benches/bindings/node_tools.mjs WORKSPACE [CALLS=2000]
//
// Use a release build of the addon (benches/bindings/run.sh builds one). Prints one JSON line.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const relay = require('../../bindings/node/relay.js')

const [workspace, callsArg] = process.argv.slice(2)
const calls = Number(callsArg ?? 2000)
const ws = relay.Workspace.open(workspace)
const tools = new relay.Tools({ workspace: ws })
const first = ws.repos()[0].name
const ECHO = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }
tools.register({ name: 'echo_sync', description: 'Echoes its text.', parameters: ECHO }, ({ text }) => ({ text }))
tools.register({ name: 'echo_async', description: 'Echoes its text.', parameters: ECHO }, async ({ text }) => ({ text }))

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

async function measure(n, call) {
  for (let i = 0; i < Math.min(100, n); i++) await call() // warm up
  const times = []
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint()
    await call()
    times.push(Number(process.hrtime.bigint() - start) / 1000)
  }
  return median(times)
}

const direct = await measure(calls, () => ws.impact([first]))
const viaTool = await measure(calls, async () => {
  const out = await tools.call('impact_analysis', { repos: [first] })
  if (!out.ok) throw new Error(JSON.stringify(out.value))
})
async function callOk(name, args) {
  const out = await tools.call(name, args)
  if (!out.ok) throw new Error(JSON.stringify(out.value))
}
const jsSync = await measure(calls, () => callOk('echo_sync', { text: 'hi' }))
const jsAsync = await measure(calls, () => callOk('echo_async', { text: 'hi' }))
const status = await measure(Math.max(1, calls / 10), () => tools.call('project_status', {}))
console.log(
  JSON.stringify({
    runtime: 'node',
    calls,
    impact_direct_median_us: direct,
    impact_tool_call_median_us: viaTool,
    tool_call_overhead_us: viaTool - direct,
    js_tool_sync_call_median_us: jsSync,
    js_tool_async_call_median_us: jsAsync,
    project_status_tool_call_median_us: status,
  }),
)
