// Relay's memory from Node: who am I, queue a sync as a durable job and finish it here, save a
// conversation, then read the audit log and verify its hash chain.
//
//   node examples/node/memory-tour.mjs [WORKSPACE] [STORE_URL]
//
// The store is the workspace's .relay/relay.db unless STORE_URL or RELAY_STORE_URL names another
// (sqlite:PATH or redis://HOST:PORT/DB). Build the package first: scripts/test-bindings.sh node
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const relay = require('../../bindings/node/relay.js') // `require('relay-sdk')` once installed

let memory
try {
  memory = await relay.Memory.open({ workspace: process.argv[2], store: process.argv[3] })
} catch (err) {
  console.error(`cannot open Relay's memory (${err.kind} ${err.code}): ${err.message}`)
  process.exit(1)
}
const me = memory.whoami()
console.log(`store ${memory.storeUrl}; you are ${me.user} (${me.role}): ${me.permissions.join(', ')}`)

const queued = await memory.enqueueSync()
console.log(`queued job ${queued.id} (${queued.operation} of ${queued.spec.repos.join(', ')})`)
const job = await memory.resumeJob(queued.id)
for await (const event of job) {
  if (event.type === 'repo_finished') console.log(`  ${event.repo}: ${event.outcome}`)
}
await job.wait()
console.log(`job ${queued.id}: ${(await memory.job(queued.id)).job.state}`)

const tools = await memory.tools('memory-tour')
const session = await relay.VoiceSession.start(tools, { transport: 'text' })
session.sendText('status')
for await (const event of session) {
  if (event.type === 'assistant_text') break
}
session.close()
console.log(`session memory-tour: ${(await memory.session('memory-tour')).turns.length} turns saved`)

for (const { seq, entry } of await memory.audit({ since: '1h', limit: 5 })) {
  console.log(`  audit #${seq} ${entry.user} ${entry.action} ${entry.outcome}`)
}
console.log(`audit chain: ${(await memory.verifyAudit()).status}`)
