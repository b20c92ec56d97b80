// Agent runs from Node on real workspaces: the shell agent, and the real `claude` CLI against the
// fake Anthropic API (relay-testkit) with JavaScript permission callbacks; cancellation kills the
// agent's process.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { makeWorkspace, tempDir } from './fixtures.mjs'
import { claudeBin, claudeEnv, eventually, processesIn, processesMatching, startAnthropic } from './peers.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

async function collect(job) {
  const events = []
  for await (const event of job) events.push(event)
  return events
}

/** Options running the real claude CLI against the fake API at `url`. */
function claudeOptions(url, extra = {}) {
  return { agent: 'claude', claudeBinary: claudeBin(), env: claudeEnv(url, tempDir()), repos: ['backend'], ...extra }
}

const peers = []
after(() => Promise.all(peers.map((p) => p.stop())))

test('a shell run changes the selected repositories in dependency order and reports it', async () => {
  const root = makeWorkspace()
  const ws = relay.Workspace.open(root)
  const job = ws.runAgent('touch made-by-agent.txt', { agent: 'shell', affectedBy: ['backend'] })
  const events = await collect(job)
  const agentEvents = events.filter((e) => e.type === 'agent')
  assert.ok(agentEvents.some((e) => e.repo === 'backend' && e.event.type === 'tool_started' && e.event.name === 'shell'))
  assert.deepEqual(events.filter((e) => e.type === 'repo_finished').map((e) => [e.repo, e.outcome]), [
    ['backend', 'success'],
    ['frontend', 'success'],
  ])
  const report = await job.wait()
  assert.deepEqual(report.repos.map((r) => [r.name, r.outcome, r.changed_files]), [
    ['backend', 'success', ['made-by-agent.txt']],
    ['frontend', 'success', ['made-by-agent.txt']],
  ])
  assert.ok(existsSync(join(root, 'frontend', 'made-by-agent.txt')))
  assert.ok(!existsSync(join(root, 'shared-api', 'made-by-agent.txt')), 'shared-api was not selected')
})

test('a failing command fails its repository and skips the dependents unless keepGoing', async () => {
  const ws = relay.Workspace.open(makeWorkspace())
  const report = await ws.runAgent('false', { agent: 'shell' }).wait()
  assert.deepEqual(report.repos.map((r) => r.outcome), ['failed', 'skipped', 'skipped'])
  assert.match(report.repos[1].error, /shared-api/)
  const kept = await ws.runAgent('false', { agent: 'shell', keepGoing: true }).wait()
  assert.deepEqual(kept.repos.map((r) => r.outcome), ['failed', 'failed', 'failed'])
})

test('bad requests throw before anything runs, with a code', () => {
  const ws = relay.Workspace.open(makeWorkspace())
  assert.throws(() => ws.runAgent('x', { agent: 'gpt' }), (err) => {
    assert.equal(err.code, 'usage')
    assert.match(err.message, /unknown agent `gpt`/)
    return true
  })
  assert.throws(() => ws.runAgent('true', { agent: 'shell', repos: ['nope'] }), { code: 'unknown_repo' })
  assert.throws(() => ws.runAgent('true', { agent: 'shell', permissionMode: 'yolo' }), /acceptEdits/)
})

test('a missing claude binary fails the job with code agent_not_found', async () => {
  const ws = relay.Workspace.open(makeWorkspace())
  await assert.rejects(ws.runAgent('fix it', { claudeBinary: '/nonexistent/claude' }).wait(), (err) => {
    assert.equal(err.code, 'agent_not_found')
    assert.equal(err.kind, 'agent')
    assert.match(err.message, /\/nonexistent\/claude/)
    return true
  })
})

/** A script: Bash (writes bash.txt), then Write (denied.txt), then a closing text. */
function bashThenWrite(repo) {
  return [
    {
      kind: 'reply',
      text: 'Running a command.',
      tool_uses: [{ name: 'Bash', input: { command: 'echo from-bash > bash.txt', description: 'write bash.txt' } }],
    },
    {
      kind: 'reply',
      text: 'Writing a file.',
      tool_uses: [{ name: 'Write', input: { file_path: join(repo, 'denied.txt'), content: 'nope\n' } }],
    },
    { kind: 'reply', text: 'All done.' },
  ]
}

/** Runs bashThenWrite in backend with `permission` (and `onApproval`); returns the repo, the
 * report and the events. */
async function runWithPermission(permission, onApproval) {
  const root = makeWorkspace()
  const repo = join(root, 'backend')
  const api = await startAnthropic(bashThenWrite(repo))
  peers.push(api)
  const job = relay.Workspace.open(root).runAgent('make two files', claudeOptions(api.url, { permission, onApproval }))
  const events = await collect(job)
  const report = await job.wait()
  return { repo, report, events }
}

function decisions(events) {
  return events
    .filter((e) => e.type === 'agent' && e.event.type === 'permission_decided')
    .map((e) => [e.event.tool_name, e.event.allowed, e.event.message ?? null])
}

test('claude: a sync permission callback allows Bash and denies Write', async () => {
  const requests = []
  const { repo, report, events } = await runWithPermission((request) => {
    requests.push(request)
    return request.tool_name === 'Bash' ? 'allow' : { decision: 'deny', message: 'no file writes today' }
  })
  assert.equal(report.repos[0].outcome, 'success', JSON.stringify(report))
  assert.equal(readFileSync(join(repo, 'bash.txt'), 'utf8'), 'from-bash\n')
  assert.ok(!existsSync(join(repo, 'denied.txt')), 'the denied Write must not run')
  assert.deepEqual(requests.map((r) => [r.repo, r.tool_name]), [
    ['backend', 'Bash'],
    ['backend', 'Write'],
  ])
  assert.equal(requests[0].input.command, 'echo from-bash > bash.txt')
  assert.equal(requests[1].input.file_path, join(repo, 'denied.txt'))
  assert.deepEqual(decisions(events), [
    ['Bash', true, null],
    ['Write', false, 'no file writes today'],
  ])
  // The denial message went back to the model as the tool's (error) result.
  const finished = events.filter((e) => e.type === 'agent' && e.event.type === 'tool_finished').map((e) => e.event)
  assert.ok(finished.some((f) => f.is_error && f.output.includes('no file writes today')), JSON.stringify(finished))
})

test('claude: an ask answer goes to onApproval, whose yes and no decide', async () => {
  const asked = []
  const { repo, report, events } = await runWithPermission(
    (request) => ({ decision: 'ask', question: `May Claude use ${request.tool_name} in ${request.repo}?` }),
    async (request) => {
      asked.push(request)
      return request.action.tool_name === 'Bash' ? { decision: 'allow', user: 'ann' } : { decision: 'deny', user: 'ann' }
    },
  )
  assert.equal(report.repos[0].outcome, 'success', JSON.stringify(report))
  assert.equal(readFileSync(join(repo, 'bash.txt'), 'utf8'), 'from-bash\n')
  assert.ok(!existsSync(join(repo, 'denied.txt')), 'the Write the person refused must not run')
  assert.deepEqual(asked.map((r) => [r.action.kind, r.action.repo, r.action.tool_name, r.question]), [
    ['agent_tool', 'backend', 'Bash', 'May Claude use Bash in backend?'],
    ['agent_tool', 'backend', 'Write', 'May Claude use Write in backend?'],
  ])
  assert.deepEqual(decisions(events), [
    ['Bash', true, null],
    ['Write', false, 'the user (ann) said no'],
  ])
})

test('claude: without a permission callback every question goes to onApproval', async () => {
  const asked = []
  const { repo, report } = await runWithPermission(undefined, (request) => {
    asked.push(request.action.tool_name)
    return request.action.tool_name === 'Bash' ? 'allow' : 'deny'
  })
  assert.equal(report.repos[0].outcome, 'success', JSON.stringify(report))
  assert.ok(existsSync(join(repo, 'bash.txt')))
  assert.ok(!existsSync(join(repo, 'denied.txt')))
  assert.deepEqual(asked, ['Bash', 'Write'])
})

test('the tools agent takes no onApproval of its own', () => {
  assert.throws(() => new relay.Tools({ workspace: relay.Workspace.open(makeWorkspace()), agent: { agent: 'shell', onApproval: () => 'allow' } }), (err) => {
    assert.equal(err.code, 'usage')
    assert.match(err.message, /tools\.onApproval/)
    return true
  })
})

test('claude: an async permission callback is awaited', async () => {
  const { repo, report, events } = await runWithPermission(async (request) => {
    await new Promise((resolve) => setTimeout(resolve, 30))
    return request.tool_name === 'Bash'
  })
  assert.equal(report.repos[0].outcome, 'success')
  assert.ok(existsSync(join(repo, 'bash.txt')))
  assert.ok(!existsSync(join(repo, 'denied.txt')))
  assert.deepEqual(
    decisions(events).map(([tool, allowed]) => [tool, allowed]),
    [
      ['Bash', true],
      ['Write', false],
    ],
  )
})

test('claude: a throwing or rejecting callback denies with its message, and the run goes on', async () => {
  const thrown = await runWithPermission(() => {
    throw new Error('policy service down')
  })
  assert.ok(!existsSync(join(thrown.repo, 'bash.txt')))
  assert.ok(!existsSync(join(thrown.repo, 'denied.txt')))
  const denials = decisions(thrown.events)
  assert.deepEqual(denials.map(([tool, allowed]) => [tool, allowed]), [
    ['Bash', false],
    ['Write', false],
  ])
  assert.match(denials[0][2], /the permission callback failed: policy service down/)
  assert.equal(thrown.report.repos[0].outcome, 'success', 'the model was told and finished its turn')

  const rejected = await runWithPermission(async () => Promise.reject(new Error('vault sealed')))
  assert.match(decisions(rejected.events)[0][2], /vault sealed/)
  assert.ok(!existsSync(join(rejected.repo, 'bash.txt')))

  const plain = await runWithPermission(() => {
    throw 'not an Error object' // eslint-disable-line no-throw-literal
  })
  assert.match(decisions(plain.events)[0][2], /the permission callback failed: not an Error object/)
  assert.ok(!existsSync(join(plain.repo, 'bash.txt')))

  const unusable = await runWithPermission(() => undefined)
  assert.match(decisions(unusable.events)[0][2], /returned nothing/)
  assert.ok(!existsSync(join(unusable.repo, 'bash.txt')))
})

/**
 * A cancelled agent run ends its stream with the cancelled repository's `repo_finished` and a
 * `job_finished` whose status is `cancelled`; `wait()` rejects with code `cancelled`, like every
 * other job.
 */
async function assertCancelledRun(events, job, repo) {
  const finished = events.filter((e) => e.type === 'repo_finished').map((e) => [e.repo, e.outcome])
  assert.deepEqual(finished, [[repo, 'cancelled']])
  assert.equal(events.at(-1).type, 'job_finished')
  assert.equal(events.at(-1).status, 'cancelled')
  await assert.rejects(job.wait(), { code: 'cancelled', kind: 'cancelled' })
}

test('claude: cancel kills the agent process and the run ends cancelled', async () => {
  const root = makeWorkspace()
  const repo = join(root, 'backend')
  const api = await startAnthropic([{ kind: 'hang' }])
  peers.push(api)
  const job = relay.Workspace.open(root).runAgent('wait forever', claudeOptions(api.url))
  const seen = []
  for await (const event of job) {
    seen.push(event)
    if (event.type === 'agent' && event.event.type === 'session_started') {
      assert.ok(processesIn(repo).length > 0, 'claude runs in the repository')
      job.cancel()
    }
  }
  await assertCancelledRun(seen, job, 'backend')
  assert.ok(await eventually(() => processesIn(repo).length === 0), `left running: ${processesIn(repo)}`)
})

test('shell: cancel kills the running command', async () => {
  const root = makeWorkspace()
  const job = relay.Workspace.open(root).runAgent('sleep 73.25', { agent: 'shell', repos: ['shared-api'] })
  assert.ok(await eventually(() => processesMatching('sleep 73.25').length > 0), 'the command started')
  job.cancel()
  await assertCancelledRun(await collect(job), job, 'shared-api')
  assert.ok(await eventually(() => processesMatching('sleep 73.25').length === 0), 'the command was killed')
})

test('a script whose permission callback ran exits on its own when the run ends', async () => {
  const root = makeWorkspace()
  const api = await startAnthropic(bashThenWrite(join(root, 'backend')))
  peers.push(api)
  const options = claudeOptions(api.url)
  const script = join(tempDir(), 'run.mjs')
  writeFileSync(
    script,
    `import { createRequire } from 'node:module'
const relay = createRequire(${JSON.stringify(import.meta.url)})('../relay.js')
const ws = relay.Workspace.open(${JSON.stringify(root)})
const asked = []
const options = { ...${JSON.stringify(options)}, permission: async (r) => (asked.push(r.tool_name), true) }
const report = await ws.runAgent('make two files', options).wait()
console.log(report.repos[0].outcome, asked.join(','))
`,
  )
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 60000 })
  assert.equal(out.trim(), 'success Bash,Write')
})
