// Relay's memory from Node (issue 12): the store by URL, the acting user, saved sessions, durable
// jobs (list, show, resume, cancel) and the audit log (query, verify), against a real SQLite store
// in a temporary workspace.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, existsSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { join } from 'node:path'

import { git, makeWorkspace, tempDir } from './fixtures.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

const TEAM = 'team:\n  - user: ann\n    role: developer\n  - user: carl\n    role: team_lead\n  - user: root\n    role: admin\n'

/** The fixture workspace with a team and a bare remote per repository (so a sync fetches). */
function teamWorkspace() {
  const root = makeWorkspace()
  appendFileSync(join(root, 'relay.yaml'), TEAM)
  mkdirSync(join(root, 'remotes'))
  for (const name of ['shared-api', 'backend', 'frontend']) {
    const remote = join(root, 'remotes', `${name}.git`)
    git(root, 'clone', '-q', '--bare', name, remote)
    git(join(root, name), 'remote', 'add', 'origin', remote)
    git(join(root, name), 'fetch', '-q', 'origin')
    git(join(root, name), 'branch', '-q', '--set-upstream-to=origin/main', 'main')
  }
  return root
}

const open = (workspace, user, extra = {}) => relay.Memory.open({ workspace, user, ...extra })

/** A loopback port nobody listens on. */
async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** One text-transport exchange on `tools`; resolves once the assistant answered. */
async function converse(tools, text) {
  const session = await relay.VoiceSession.start(tools, { transport: 'text' })
  session.sendText(text)
  for await (const event of session) {
    if (event.type === 'assistant_text') break
  }
  session.close()
}

test('the store URL, RELAY_STORE_URL and whoami', async () => {
  const root = teamWorkspace()
  const ann = await open(root, 'ann')
  assert.equal(ann.storeUrl, `sqlite:${join(root, '.relay', 'relay.db')}`)
  const me = ann.whoami()
  assert.deepEqual([me.user, me.role], ['ann', 'developer'])
  assert.ok(me.permissions.includes('write_repos') && !me.permissions.includes('team'))
  assert.equal(me.limits.max_environments, 2)
  assert.equal((await open(root, 'carl')).whoami().role, 'team_lead')

  const elsewhere = join(tempDir(), 'env.db')
  process.env.RELAY_STORE_URL = `sqlite:${elsewhere}`
  try {
    assert.equal((await open(root, 'ann')).storeUrl, `sqlite:${elsewhere}`)
    assert.ok(existsSync(elsewhere))
  } finally {
    delete process.env.RELAY_STORE_URL
  }
})

test('a bad or unreachable store rejects with kind store and the password redacted', async () => {
  const root = teamWorkspace()
  await assert.rejects(open(root, 'ann', { store: 'postgres://db/relay' }), (e) => {
    assert.deepEqual([e.kind, e.code], ['store', 'store_invalid_url'])
    return true
  })
  const port = await freePort()
  await assert.rejects(open(root, 'ann', { store: `redis://:hunter2@127.0.0.1:${port}/0` }), (e) => {
    assert.deepEqual([e.kind, e.code], ['store', 'store_unavailable'])
    assert.ok(e.message.includes(`redis://***@127.0.0.1:${port}/0`), e.message)
    assert.ok(!e.message.includes('hunter2'), e.message)
    return true
  })
  await assert.rejects(open(root, 'mallory'), (e) => {
    assert.deepEqual([e.kind, e.code], ['usage', 'unauthenticated'])
    assert.match(e.message, /`mallory` is not in the team/)
    return true
  })
})

test('a queued sync is listed, shown, resumed with its events, and its bad paths', async () => {
  const root = teamWorkspace()
  const ann = await open(root, 'ann')
  const queued = await ann.enqueueSync({ repos: ['backend'] })
  assert.deepEqual([queued.state, queued.operation, queued.user], ['queued', 'sync', 'ann'])
  assert.deepEqual((await ann.jobs()).map((j) => j.id), [queued.id])

  const job = await ann.resumeJob(queued.id)
  const events = []
  for await (const event of job) events.push(event)
  await job.wait()
  assert.deepEqual(
    events.filter((e) => e.type === 'repo_finished').map((e) => [e.repo, e.outcome]),
    [['backend', 'success']],
  )
  const shown = await ann.job(queued.id)
  assert.equal(shown.job.state, 'succeeded')
  assert.deepEqual(shown.job.done, ['backend'])
  assert.ok(shown.events.some((e) => e.type === 'repo_finished' && e.repo === 'backend'))
  await assert.rejects(ann.resumeJob(queued.id), /only an interrupted, failed or queued job can be resumed/)

  const other = await ann.enqueueSync()
  const cancelled = await ann.cancelJob(other.id)
  assert.deepEqual([cancelled.state, cancelled.message], ['cancelled', 'cancelled by ann'])
  await assert.rejects(ann.cancelJob(other.id), /already cancelled; nothing to cancel/)

  for (const call of [ann.job, ann.resumeJob, ann.cancelJob]) {
    await assert.rejects(call.call(ann, 'job-that-never-was'), (e) => {
      assert.deepEqual([e.kind, e.code], ['usage', 'usage'])
      assert.match(e.message, /no job `job-that-never-was`/)
      return true
    })
  }
  const carl = await open(root, 'carl')
  const carls = await carl.enqueueSync({ repos: ['frontend'] })
  assert.ok(!(await ann.jobs()).some((j) => j.id === carls.id))
  await assert.rejects(ann.job(carls.id), (e) => e.code === 'denied' && /the team_lead role has/.test(e.message))
})

test('a conversation is saved, shown, resumed and deleted', async () => {
  const root = teamWorkspace()
  const ann = await open(root, 'ann')
  await converse(await ann.tools('morning'), 'what is the impact of shared-api')
  const [summary] = await ann.sessions()
  assert.deepEqual([summary.id, summary.user, summary.turns], ['morning', 'ann', 3])
  const saved = await ann.session('morning')
  assert.deepEqual(saved.turns.map((t) => t.role), ['user', 'tool', 'assistant'])
  assert.equal(saved.turns[1].tool.name, 'impact_analysis')
  assert.match(saved.turns[2].text, /Changing shared-api affects backend, frontend/)
  await converse(await ann.tools('morning'), 'what is the impact of backend')
  assert.equal((await ann.session('morning')).turns.length, 6)

  assert.equal(await ann.deleteSession('morning'), true)
  assert.equal(await ann.deleteSession('morning'), false)
  await assert.rejects(ann.session('morning'), (e) => e.code === 'unknown_session')
})

test('a denied tool call is in the audit log; verify finds a tampered entry', async () => {
  const root = teamWorkspace()
  const ann = await open(root, 'ann')
  const tools = await ann.tools()
  tools.register({ name: 'rotate_keys', description: 'Rotates the deploy keys.', permission: 'team' }, () => 'rotated')
  const denied = await tools.call('rotate_keys', {})
  assert.equal(denied.ok, false)
  assert.match(JSON.stringify(denied), /needs the `team` permission: ann is a developer; the team_lead role has it/)
  assert.equal((await tools.call('impact_analysis', { repos: ['backend'] })).ok, true)

  const records = await ann.audit()
  assert.deepEqual(
    records.map((r) => [r.entry.action, r.entry.outcome, r.entry.user, r.entry.role]),
    [
      ['rotate_keys', 'denied', 'ann', 'developer'],
      ['impact_analysis', 'ok', 'ann', 'developer'],
    ],
  )
  assert.deepEqual((await ann.audit({ limit: 1 })).map((r) => r.seq), [records[1].seq])
  assert.equal((await ann.audit({ since: '1h', user: 'ann' })).length, 2)
  await assert.rejects(ann.audit({ since: 'yesterday' }), /invalid duration `yesterday`/)
  await assert.rejects(ann.audit({ user: 'carl' }), (e) => e.code === 'denied')
  await assert.rejects(ann.verifyAudit(), /ann \(developer\) may not verify the audit log/)

  const root2 = await open(root, 'root')
  assert.deepEqual(await root2.verifyAudit(), { status: 'intact', records: 2 })
  // Change entry 1 in the SQLite file with the sqlite3 CLI (scripts/setup/sqlite.sh).
  const db = join(root, '.relay', 'relay.db')
  const { execFileSync } = await import('node:child_process')
  execFileSync('sqlite3', [db, "UPDATE audit SET record = replace(record, '\"denied\"', '\"ok\"') WHERE seq = 1"])
  const verdict = await root2.verifyAudit()
  assert.deepEqual([verdict.status, verdict.seq], ['broken', 1])
  assert.match(verdict.problem, /entry 1 was changed after it was written/)
})

/** A real redis-server on a free loopback port (scripts/setup/redis.sh), stopped by `stop()`. */
async function startRedis() {
  const { spawn } = await import('node:child_process')
  const port = await freePort()
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tempDir()],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  let exited = null
  server.on('exit', (code) => { exited = code })
  server.on('error', (e) => { exited = e.message })
  const { connect } = await import('node:net')
  const pong = () =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
      socket.on('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
      socket.on('error', () => resolve(false))
    })
  for (let i = 0; i < 500 && !(await pong()); i++) {
    if (exited !== null) throw new Error(`redis-server exited (${exited}); install it with scripts/setup/redis.sh`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { url: `redis://127.0.0.1:${port}/0`, stop: () => server.kill('SIGTERM') }
}

test('on one Redis, two memories share jobs, sessions and the audit log', async () => {
  const root = teamWorkspace()
  const redis = await startRedis()
  try {
    const ann = await open(root, 'ann', { store: redis.url })
    assert.equal(ann.storeUrl, redis.url)
    const carl = await open(root, 'carl', { store: redis.url })

    // ann queues; another Relay on the same Redis (carl's memory, a team lead) finishes it.
    const queued = await ann.enqueueSync({ repos: ['shared-api'] })
    assert.ok((await carl.jobs()).some((j) => j.id === queued.id))
    const job = await carl.resumeJob(queued.id)
    for await (const _ of job) { /* drain */ }
    await job.wait()
    const shown = await ann.job(queued.id)
    assert.deepEqual([shown.job.state, shown.job.done], ['succeeded', ['shared-api']])
    assert.ok(shown.events.some((e) => e.type === 'repo_finished' && e.repo === 'shared-api'))

    await converse(await ann.tools('on-redis'), 'what is the impact of shared-api')
    const [summary] = await carl.sessions()
    assert.deepEqual([summary.id, summary.user, summary.turns], ['on-redis', 'ann', 3])

    const tools = await ann.tools()
    tools.register({ name: 'rotate_keys', description: 'Rotates keys.', permission: 'team' }, () => 'rotated')
    assert.equal((await tools.call('rotate_keys', {})).ok, false)
    const entries = (await carl.audit({ user: 'ann' })).map((r) => [r.entry.action, r.entry.outcome, r.entry.user])
    assert.ok(entries.some(([a, o, u]) => a === 'rotate_keys' && o === 'denied' && u === 'ann'), JSON.stringify(entries))
    const root2 = await open(root, 'root', { store: redis.url })
    assert.equal((await root2.verifyAudit()).status, 'intact')
  } finally {
    redis.stop()
  }
})
