// Environments from Node with the local provider (real directories and processes): up, exec,
// snapshot, rollback, stop, down, and the errors with their codes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { makeWorkspace, tempDir } from './fixtures.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

async function collect(job) {
  const events = []
  for await (const event of job) events.push(event)
  return events
}

test('local lifecycle: up, exec, snapshot, rollback restores a file, stop, down', async () => {
  const envs = relay.Environments.open({ provider: 'local', localRoot: tempDir() })
  assert.equal(envs.provider, 'local')

  const up = envs.up('dev')
  const events = await collect(up)
  assert.equal(events[0].operation, 'env up dev')
  assert.ok(events.some((e) => e.type === 'progress' && /dev is ready/.test(e.message)))
  const created = await up.wait()
  assert.equal(created.name, 'dev')
  assert.equal(created.kind, 'local')
  assert.equal(created.status, 'running')
  const dir = created.id
  assert.ok(existsSync(dir))

  const first = await envs.exec('dev', ['sh', '-c', 'echo original > notes.txt && pwd'])
  assert.deepEqual(first, { exit_code: 0, signal: null, stdout: `${dir}\n`, stderr: '' })

  const snap = await envs.snapshot('dev', 'before').wait()
  assert.equal(snap.name, 'before')
  const changed = await envs.exec('dev', ['sh', '-c', 'echo changed > notes.txt; rm -f gone.txt; cat notes.txt'])
  assert.equal(changed.stdout, 'changed\n')
  assert.deepEqual((await envs.snapshots('dev')).map((s) => s.name), ['before'])

  await envs.rollback('dev', 'before').wait()
  assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'original\n')
  assert.equal((await envs.exec('dev', ['cat', 'notes.txt'])).stdout, 'original\n')

  // stdin, cwd and a failing exit code come back as data, not as an error.
  await envs.exec('dev', ['mkdir', 'sub'])
  const piped = await envs.exec('dev', ['sh', '-c', 'cat; pwd; exit 3'], { stdin: 'from stdin\n', cwd: 'sub' })
  assert.deepEqual([piped.exit_code, piped.stdout], [3, `from stdin\n${dir}/sub\n`])
  await assert.rejects(envs.exec('dev', ['pwd'], { cwd: '/etc' }), { code: 'invalid_request', message: /must be relative/ })

  assert.deepEqual((await envs.list()).map((e) => [e.name, e.status]), [['dev', 'running']])
  assert.equal((await envs.stop('dev').wait()).status, 'stopped')
  assert.equal((await envs.status('dev')).status, 'stopped')

  await envs.down('dev').wait()
  assert.ok(!existsSync(dir), 'down removes the environment')
  await assert.rejects(envs.status('dev'), (err) => {
    assert.equal(err.code, 'not_found')
    assert.equal(err.kind, 'infra')
    assert.match(err.message, /no environment named `dev`/)
    return true
  })
})

test('an environment opened with a workspace gets its repositories', async () => {
  const ws = relay.Workspace.open(makeWorkspace())
  const envs = relay.Environments.open({ provider: 'local', workspace: ws, localRoot: tempDir() })
  const env = await envs.up('review').wait()
  const listing = await envs.exec('review', ['ls'])
  assert.deepEqual(listing.stdout.trim().split('\n').sort(), ['backend', 'frontend', 'shared-api'])
  assert.equal(readFileSync(join(env.id, 'backend', 'README.md'), 'utf8'), '# backend\n')
  await envs.down('review').wait()
})

test('bad requests fail with codes that say what is wrong', async () => {
  const envs = relay.Environments.open({ provider: 'local', localRoot: tempDir() })
  await envs.up('dev').wait()
  await assert.rejects(envs.rollback('dev', 'never-taken').wait(), (err) => {
    assert.equal(err.kind, 'infra')
    assert.match(err.message, /`dev` has no snapshot `never-taken`/)
    return true
  })
  await assert.rejects(envs.exec('dev', []), { code: 'usage', message: /exec needs a command/ })
  await assert.rejects(envs.exec('nope', ['true']), { code: 'not_found' })
  assert.throws(() => envs.up('x', { kind: 'docker' }), { code: 'usage', message: /unknown environment kind `docker`/ })
  assert.throws(() => relay.Environments.open({ provider: 'aws' }), { kind: 'infra', message: /unknown provider `aws`/ })
  assert.throws(() => relay.Environments.open({ workspace: { root: '/tmp' } }), {
    message: 'expected an instance of Workspace (made by Workspace.open(path)) on OpenEnvironmentsOptions.workspace',
  })
  await envs.down('dev').wait()
})
