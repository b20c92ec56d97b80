// JavaScript tools that need approval (`needsApproval: true`): refused without an `onApproval`
// callback, run only after a yes, and the answer is audited with who gave it and how.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { makeWorkspace } from './fixtures.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

const SCHEMA = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] }

test('a JavaScript tool that needs approval is refused without a callback and runs only after a yes', async () => {
  const tools = new relay.Tools({ workspace: relay.Workspace.open(makeWorkspace()) })
  const ran = []
  tools.register({ name: 'drop_database', description: 'Drops a database.', parameters: SCHEMA, needsApproval: true }, async ({ name }) => {
    ran.push(name)
    return { dropped: name }
  })
  tools.register({ name: 'vacuum', description: 'Vacuums.', needsApproval: false }, () => 'vacuumed')
  const specs = Object.fromEntries(tools.specs().map((s) => [s.name, s]))
  assert.equal(specs.drop_database.needs_approval, true)
  assert.equal(specs.vacuum.needs_approval, false)

  const refused = await tools.call('drop_database', { name: 'orders' })
  assert.equal(refused.ok, false)
  assert.equal(refused.value.error, "`drop_database` was not run: it needs a person's approval and nobody can be asked here")
  assert.match(refused.value.hint, /an approval callback/)
  assert.deepEqual(ran, [])

  const asked = []
  tools.onApproval(async (request) => {
    asked.push(request)
    return asked.length === 1 ? 'deny' : { decision: 'allow', user: 'ann' }
  })
  const denied = await tools.call('drop_database', { name: 'orders' })
  assert.equal(denied.value.error, '`drop_database` was not run: the user said no')
  assert.deepEqual(ran, [], 'the handler did not run after a no')
  assert.deepEqual(await tools.call('drop_database', { name: 'orders' }), { ok: true, value: { dropped: 'orders' } })
  assert.deepEqual(ran, ['orders'])
  assert.equal(asked[0].question, 'Run drop_database (name: orders)? Allow it?')
  assert.deepEqual(asked[0].action, { kind: 'tool', name: 'drop_database', arguments: { name: 'orders' } })
  assert.equal((await tools.call('vacuum', {})).ok, true)
  assert.equal(asked.length, 2, 'a tool without the flag never asks')
})

test('the answer to a JavaScript tool\'s approval is audited', async () => {
  const root = makeWorkspace()
  appendFileSync(join(root, 'relay.yaml'), 'team:\n  - user: ann\n    role: developer\n')
  const ann = await relay.Memory.open({ workspace: root, user: 'ann' })
  const tools = await ann.tools()
  const ran = []
  tools.register({ name: 'rotate_keys', description: 'Rotates the deploy keys.', needsApproval: true }, () => {
    ran.push('rotated')
    return 'rotated'
  })
  tools.onApproval(() => ({ decision: 'deny', reason: 'not during the release', user: 'ann' }))
  assert.equal((await tools.call('rotate_keys', {})).value.error, '`rotate_keys` was not run: the user (ann) said no')
  assert.deepEqual(ran, [])
  tools.onApproval(() => ({ decision: 'allow', user: 'ann' }))
  assert.equal((await tools.call('rotate_keys', {})).ok, true)
  assert.deepEqual(ran, ['rotated'])

  const entries = (await ann.audit()).map((r) => r.entry)
  const approvals = entries.filter((e) => e.kind === 'approval')
  assert.deepEqual(
    approvals.map((e) => [e.action, e.outcome, e.args.via, e.args.answered_by]),
    [
      ['rotate_keys', 'denied', 'callback', 'ann'],
      ['rotate_keys', 'ok', 'callback', 'ann'],
    ],
  )
  assert.equal(approvals[0].args.reason, 'not during the release')
  assert.deepEqual(
    entries.filter((e) => e.kind === 'tool').map((e) => [e.action, e.outcome]),
    [
      ['rotate_keys', 'denied'],
      ['rotate_keys', 'ok'],
    ],
  )
})
