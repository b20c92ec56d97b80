// Workspace operations from Node against real git repositories.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { git, makeWorkspace, tempDir } from './fixtures.mjs'

const require = createRequire(import.meta.url)
const { Workspace } = require('../relay.js')

test('open discovers relay.yaml from a subdirectory', () => {
  const root = makeWorkspace()
  const ws = Workspace.open(join(root, 'backend'))
  assert.equal(ws.root, root)
  assert.equal(ws.configFile, join(root, 'relay.yaml'))
  const repos = ws.repos()
  assert.deepEqual(repos.map((r) => r.name), ['shared-api', 'backend', 'frontend'])
  assert.deepEqual(repos[1].dependencies, ['shared-api'])
})

test('graph and impact', () => {
  const ws = Workspace.open(makeWorkspace())
  assert.deepEqual(ws.graph().batches, [['shared-api'], ['backend'], ['frontend']])
  const impact = ws.impact(['shared-api'])
  assert.deepEqual(impact.direct, ['backend'])
  assert.deepEqual(impact.transitive, ['backend', 'frontend'])
})

test('status reports real git state', async () => {
  const root = makeWorkspace()
  writeFileSync(join(root, 'backend', 'README.md'), 'changed\n')
  writeFileSync(join(root, 'backend', 'notes.txt'), 'new\n')
  const ws = Workspace.open(root)
  const status = await ws.status()
  assert.deepEqual(status.map((s) => s.name), ['shared-api', 'backend', 'frontend'])
  const backend = status[1]
  assert.equal(backend.branch, 'main')
  assert.equal(backend.head, git(join(root, 'backend'), 'rev-parse', 'HEAD'))
  assert.deepEqual([backend.staged, backend.unstaged, backend.untracked], [0, 1, 1])
  assert.equal(backend.last_commit.summary, 'start backend')
  const only = await ws.status({ repos: ['frontend'] })
  assert.deepEqual(only.map((s) => s.name), ['frontend'])
})

test('changedSince and changedFiles', async () => {
  const root = makeWorkspace()
  const ws = Workspace.open(root)
  assert.deepEqual(await ws.changedSince('main'), [])
  writeFileSync(join(root, 'frontend', 'app.js'), 'x\n')
  assert.deepEqual(await ws.changedSince('main'), ['frontend'])
  assert.deepEqual(await ws.changedFiles('frontend'), ['app.js'])
})

test('branch then commit change the repositories', async () => {
  const root = makeWorkspace()
  const ws = Workspace.open(root)
  const job = ws.branch('feature/login', { affectedBy: ['backend'] })
  const finished = []
  for await (const event of job) if (event.type === 'repo_finished') finished.push(event.repo)
  const report = await job.wait()
  assert.deepEqual(Object.fromEntries(report.repos.map((r) => [r.name, r.action])), {
    backend: 'created',
    frontend: 'created',
  })
  assert.deepEqual(finished.sort(), ['backend', 'frontend'])
  assert.equal(git(join(root, 'backend'), 'branch', '--show-current'), 'feature/login')
  assert.equal(git(join(root, 'shared-api'), 'branch', '--show-current'), 'main')

  writeFileSync(join(root, 'backend', 'README.md'), 'login\n')
  const commit = await ws.commit('Add login', { repos: ['backend'], all: true }).wait()
  assert.equal(commit.repos[0].action, 'committed')
  assert.equal(commit.repos[0].sha, git(join(root, 'backend'), 'rev-parse', 'HEAD'))
  assert.equal(git(join(root, 'backend'), 'log', '-1', '--format=%s'), 'Add login')
})

test('a missing workspace throws code config saying what to do', () => {
  const dir = tempDir()
  assert.throws(() => Workspace.open(dir), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'config')
    assert.equal(err.kind, 'config')
    assert.match(err.message, /no relay\.yaml found/)
    assert.ok(err.message.includes(dir))
    return true
  })
})

test('an invalid workspace names file and line', () => {
  const dir = tempDir()
  writeFileSync(join(dir, 'relay.yaml'), 'repositories:\n  - name: a\n    dependencies: [ghost]\n')
  assert.throws(() => Workspace.open(join(dir, 'relay.yaml')), (err) => {
    assert.equal(err.code, 'config')
    assert.match(err.message, /relay\.yaml:3/)
    assert.match(err.message, /ghost/)
    return true
  })
})

test('unknown repositories reject with code unknown_repo listing the known ones', async () => {
  const ws = Workspace.open(makeWorkspace())
  await assert.rejects(ws.status({ repos: ['nope'] }), (err) => {
    assert.equal(err.code, 'unknown_repo')
    assert.equal(err.kind, 'repo')
    assert.match(err.message, /shared-api, backend, frontend/)
    return true
  })
  assert.throws(() => ws.impact(['nope']), { code: 'unknown_repo' })
  assert.throws(() => ws.sync({ repos: ['backend'], affectedBy: ['backend'] }), { code: 'usage' })
})
