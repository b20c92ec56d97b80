// The tool registry from Node: specs, the Realtime tool format, and calls through the real
// tools (repository tools on a real workspace, the agent tool with the shell agent and with the
// real claude CLI asking a JS permission callback, environment tools on the local provider).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { makeWorkspace, tempDir } from './fixtures.mjs'
import { claudeBin, claudeEnv, eventually, processesMatching, startAnthropic } from './peers.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

const REPO_TOOLS = ['commit_changes', 'create_branch', 'dependency_graph', 'impact_analysis', 'project_status', 'push_branches', 'switch_project', 'sync_repos']
const peers = []
after(() => Promise.all(peers.map((p) => p.stop())))

function workspace() {
  const root = makeWorkspace()
  writeFileSync(join(root, 'frontend', 'draft.txt'), 'draft\n')
  return { root, ws: relay.Workspace.open(root) }
}

test('specs and realtimeTools describe the repository tools', () => {
  const tools = new relay.Tools({ workspace: workspace().ws })
  const specs = tools.specs()
  assert.deepEqual(specs.map((s) => s.name).sort(), REPO_TOOLS)
  const status = specs.find((s) => s.name === 'project_status')
  assert.equal(status.permission, 'read')
  assert.equal(status.parameters.type, 'object')
  assert.equal(specs.find((s) => s.name === 'sync_repos').permission, 'write_repos')

  const realtime = tools.realtimeTools()
  assert.deepEqual(realtime.map((t) => t.name), specs.map((s) => s.name))
  assert.deepEqual(Object.keys(realtime[0]).sort(), ['description', 'name', 'parameters', 'type'])
  assert.ok(realtime.every((t) => t.type === 'function'))
  assert.deepEqual(new relay.Tools().specs(), [], 'no parts, no tools')
})

test('invoke runs a tool on the real workspace; args may be JSON text or an object', async () => {
  const tools = new relay.Tools({ workspace: workspace().ws })
  const job = tools.invoke('project_status', '{"repos": ["frontend"]}')
  const events = []
  for await (const event of job) events.push(event)
  assert.equal(events[0].operation, 'tool project_status')
  assert.equal(events.at(-1).status, 'succeeded')
  const { ok, value } = await job.wait()
  assert.equal(ok, true)
  assert.equal(value.summary, '1 repository: 1 with uncommitted changes, 0 behind upstream.')
  assert.equal(value.repositories[0].name, 'frontend')
  assert.equal(value.repositories[0].untracked, 1)

  const impact = await tools.call('impact_analysis', { repos: ['backend'] })
  assert.deepEqual(impact, {
    ok: true,
    value: { changed: ['backend'], direct_dependents: ['frontend'], all_dependents: ['frontend'], batches: [['backend'], ['frontend']] },
  })

  // The session state is shared between calls: switch_project sets the primary project.
  assert.equal((await tools.call('switch_project', { name: 'backend' })).ok, true)
  assert.equal((await tools.call('project_status')).value.primary_project, 'backend')
})

test('bad calls answer ok: false with an error and a hint for the model, never a rejection', async () => {
  const tools = new relay.Tools({ workspace: workspace().ws, permissions: ['read'] })
  const bad = await tools.call('impact_analysis', '{"repos": [1]}')
  assert.equal(bad.ok, false)
  assert.match(bad.value.error, /`repos\[0\]`: expected string, got integer/)
  assert.match(bad.value.hint, /fix the arguments/)

  const unknown = await tools.call('deploy_to_prod', {})
  assert.equal(unknown.ok, false)
  assert.match(unknown.value.error, /deploy_to_prod/)
  assert.match(unknown.value.error, /project_status/, 'names the available tools')

  const notJson = await tools.call('project_status', '{oops')
  assert.equal(notJson.ok, false)

  const denied = await tools.call('sync_repos', {})
  assert.equal(denied.ok, false)
  assert.match(denied.value.error, /`sync_repos` needs the `write_repos` permission/)
})

test('bad options throw with code usage', () => {
  assert.throws(() => new relay.Tools({ permissions: ['fly'] }), { code: 'usage', message: /unknown permission `fly`/ })
  assert.throws(() => new relay.Tools({ agent: { agent: 'shell' } }), { code: 'usage', message: /pass `workspace` too/ })
  assert.throws(() => new relay.Tools({ workspace: workspace().ws, agent: { agent: 'gpt' } }), { code: 'usage' })
})

test('the agent tool runs the shell agent across repositories in dependency order', async () => {
  const { root, ws } = workspace()
  const tools = new relay.Tools({ workspace: ws, agent: { agent: 'shell' } })
  assert.ok(tools.specs().some((s) => s.name === 'run_agent_task' && s.long_running))
  const job = tools.invoke('run_agent_task', { task: 'touch from-tool.txt', affected_by: ['backend'] })
  const progress = []
  for await (const event of job) if (event.type === 'progress') progress.push(event.message)
  const { ok, value } = await job.wait()
  assert.equal(ok, true, JSON.stringify(value))
  assert.equal(value.agent, 'shell')
  assert.deepEqual(value.repositories.map((r) => [r.name, r.outcome, r.changed_files]), [
    ['backend', 'success', ['from-tool.txt']],
    ['frontend', 'success', ['from-tool.txt']],
  ])
  assert.ok(progress.length > 0, 'long tools report progress')
  assert.ok(existsSync(join(root, 'frontend', 'from-tool.txt')))
  assert.ok(!existsSync(join(root, 'shared-api', 'from-tool.txt')))
})

test('cancelling an agent tool call kills its process', async () => {
  const tools = new relay.Tools({ workspace: workspace().ws, agent: { agent: 'shell' } })
  const job = tools.invoke('run_agent_task', { task: 'sleep 91.5', repos: ['backend'] })
  assert.ok(await eventually(() => processesMatching('sleep 91.5').length > 0), 'the command started')
  job.cancel()
  await assert.rejects(job.wait(), { code: 'cancelled' })
  assert.ok(await eventually(() => processesMatching('sleep 91.5').length === 0), 'the command was killed')
})

test('the agent tool asks the JS permission callback for claude tool uses', async () => {
  const { root, ws } = workspace()
  const repo = join(root, 'backend')
  const api = await startAnthropic([
    { kind: 'reply', text: 'Checking.', tool_uses: [{ name: 'Bash', input: { command: 'echo ok > checked.txt' } }] },
    { kind: 'reply', text: 'Checked.' },
  ])
  peers.push(api)
  const asked = []
  const tools = new relay.Tools({
    workspace: ws,
    agent: {
      claudeBinary: claudeBin(),
      env: claudeEnv(api.url, tempDir()),
      permission: async (request) => {
        asked.push([request.repo, request.tool_name, request.input.command])
        return { decision: 'allow' }
      },
    },
  })
  const { ok, value } = await tools.call('run_agent_task', { task: 'check it', repos: ['backend'] })
  assert.equal(ok, true, JSON.stringify(value))
  assert.deepEqual(asked, [['backend', 'Bash', 'echo ok > checked.txt']])
  assert.equal(readFileSync(join(repo, 'checked.txt'), 'utf8'), 'ok\n')
  assert.deepEqual(value.repositories[0].changed_files, ['checked.txt'])
})

test('environment tools run on the local provider', async () => {
  const envs = relay.Environments.open({ provider: 'local', localRoot: tempDir() })
  const tools = new relay.Tools({ environments: envs })
  assert.deepEqual(
    tools.specs().map((s) => s.name),
    ['env_down', 'env_exec', 'env_rollback', 'env_snapshot', 'env_status', 'env_up'],
  )
  const up = await tools.call('env_up', { name: 'scratch' })
  assert.equal(up.ok, true, JSON.stringify(up))
  const run = await tools.call('env_exec', { name: 'scratch', command: ['sh', '-c', 'echo hello; exit 4'] })
  assert.equal(run.ok, true, JSON.stringify(run))
  assert.equal(run.value.exit_code, 4)
  assert.match(JSON.stringify(run.value), /hello/)
  assert.equal((await envs.status('scratch')).status, 'running', 'the same provider sees it')
  const missing = await tools.call('env_exec', { name: 'nope', command: ['true'] })
  assert.equal(missing.ok, false)
  assert.match(missing.value.error, /no environment named `nope`/)
  // Destroying it needs approval: refused without a handler, then the handler's answer decides.
  const refused = await tools.call('env_down', { name: 'scratch' })
  assert.equal(refused.ok, false)
  assert.match(refused.value.error, /needs a person's approval/)
  const asked = []
  tools.onApproval(async (request) => {
    asked.push(request)
    return asked.length === 1 ? { decision: 'deny', reason: 'not now', user: 'ann' } : 'allow'
  })
  const denied = await tools.call('env_down', { name: 'scratch' })
  assert.equal(denied.ok, false)
  assert.equal(denied.value.error, '`env_down` was not run: the user (ann) said no')
  assert.equal((await envs.status('scratch')).status, 'running', 'nothing ran')
  assert.equal((await tools.call('env_down', { name: 'scratch' })).ok, true)
  assert.equal(asked.length, 2)
  assert.equal(asked[0].question, 'Destroy the environment scratch, with its disks and snapshots? Allow it?')
  assert.deepEqual(asked[0].action, { kind: 'tool', name: 'env_down', arguments: { name: 'scratch' } })
  await assert.rejects(envs.status('scratch'), { code: 'not_found' })
})
