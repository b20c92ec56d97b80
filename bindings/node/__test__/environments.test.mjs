// Environments from Node with the local provider (real directories and processes): up, exec,
// snapshot, rollback, stop, down, and the errors with their codes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { makeWorkspace, tempDir } from './fixtures.mjs'
import { startProxmox } from './peers.mjs'

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

test('proxmox (fake PVE API over TLS): LXC and QEMU environments, settings from the environment', async (t) => {
  const pve = await startProxmox({ tokenId: 'relay@pve!node', secret: 'pve-token-secret-1', templates: ['qemu:9001:ubuntu-tmpl'] })
  t.after(() => pve.stop())
  Object.assign(process.env, pve.env)
  const envs = relay.Environments.open({ provider: 'proxmox' })
  assert.equal(envs.provider, 'proxmox')

  const up = envs.up('web', { template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst' })
  const events = await collect(up)
  assert.ok(events.some((e) => e.type === 'log' && e.line === 'TASK OK'), 'PVE task logs stream as events')
  const web = await up.wait()
  assert.deepEqual([web.provider, web.kind, web.id, web.node, web.status], ['proxmox', 'lxc', '100', 'pve', 'running'])

  const vm = await envs.up('vm', { kind: 'qemu', template: '9001', profile: 'team_lead' }).wait()
  assert.deepEqual([vm.kind, vm.id, vm.cores], ['qemu', '101', 8])
  assert.deepEqual(await envs.exec('vm', ['sh', '-c', 'echo from-vm; exit 5']), {
    exit_code: 5,
    signal: null,
    stdout: 'from-vm\n',
    stderr: '',
  })
  await assert.rejects(envs.exec('web', ['true']), { code: 'unsupported', kind: 'infra', message: /over SSH/ })

  await envs.snapshot('web', 'base').wait()
  assert.deepEqual((await envs.snapshots('web')).map((s) => s.name), ['base'])
  assert.equal((await envs.rollback('web', 'base').wait()).status, 'stopped', 'an LXC rollback leaves it stopped')
  assert.deepEqual((await envs.list()).map((e) => [e.name, e.status]), [['web', 'stopped'], ['vm', 'running']])
  assert.equal((await envs.stop('vm', { force: true }).wait()).status, 'stopped')
  await envs.down('web').wait()
  await assert.rejects(envs.status('web'), { code: 'not_found', message: /no environment named `web` in Proxmox/ })

  // A wrong secret is refused with what to check, and the secret never appears.
  process.env.PROXMOX_TOKEN_SECRET = 'wrong-secret-value'
  await assert.rejects(relay.Environments.open({ provider: 'proxmox' }).list(), (err) => {
    assert.equal(err.code, 'auth')
    assert.match(err.message, /check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET/)
    assert.ok(!err.message.includes('wrong-secret-value'))
    return true
  })
  delete process.env.PROXMOX_URL
  assert.throws(() => relay.Environments.open({ provider: 'proxmox' }), { code: 'config', message: /missing:\n {2}- PROXMOX_URL/ })
})
