// A tour of Relay from Node: open a workspace, show its dependency graph, the status of each
// repository and what a change to the first one affects, then stream the events of a sync (a job).
//
//   node examples/node/workspace-tour.mjs [WORKSPACE]      (default: search from the cwd)
//
// Build the package first: scripts/setup/node.sh && scripts/test-bindings.sh node
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const relay = require('../../bindings/node/relay.js') // `require('relay-sdk')` once installed

let ws
try {
  ws = relay.Workspace.open(process.argv[2])
} catch (err) {
  console.error(`cannot open the workspace (${err.code}): ${err.message}`)
  process.exit(1)
}

console.log(`workspace ${ws.root} (${ws.configFile})`)
console.log('build order:', ws.graph().batches.map((b) => b.join('+')).join(' -> '))

for (const repo of await ws.status()) {
  if (repo.error) {
    console.log(`  ${repo.name.padEnd(20)} ${repo.error}`)
    continue
  }
  const changes = repo.staged + repo.unstaged + repo.untracked
  console.log(`  ${repo.name.padEnd(20)} ${(repo.branch ?? '(detached)').padEnd(16)} ${changes} changed paths`)
}

const first = ws.repos()[0].name
const impact = ws.impact([first])
console.log(`a change to ${first} affects: ${impact.transitive.join(', ') || 'nothing else'}`)

// Every long operation is a Job: iterate over its events, then await its result. A sync fetches
// and fast-forwards only (a repository with local changes or no remote is skipped).
const job = ws.sync({ repos: [first] })
for await (const event of job) {
  if (event.type === 'repo_finished') console.log(`  ${event.repo}: ${event.summary}`)
}
console.log('job result:', await job.wait())
