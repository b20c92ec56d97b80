// Sign-in on the page: a server with a `team:` wants users' tokens, so the page (which loads
// without one) shows its sign-in form; a wrong token is refused with the server's words and a
// right one signs the browser in (a session cookie) and goes on to the conversation. A token
// revoked later is refused again.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'

import { Stack, relayBin, waitFor } from './harness.mjs'

const stack = new Stack()
let base
let workspace

function relayCli(...args) {
  return execFileSync(relayBin(), args, { env: { ...process.env, RELAY_WORKSPACE: workspace, RELAY_USER: 'root', HOME: stack.dir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

before(async () => {
  workspace = stack.workspace()
  appendFileSync(join(workspace, 'relay.yaml'), 'team:\n  - user: ann\n    role: developer\n  - user: root\n    role: admin\n')
  base = await stack.relay({ workspace })
})
after(() => stack.stopAndCheck())

test('a server that wants tokens gets the sign-in form; a wrong token is refused, a right one signs in', async () => {
  const token = /relay_[0-9a-f]{64}/.exec(relayCli('team', 'token', 'create', 'ann'))?.[0]
  assert.ok(token, 'relay team token create prints the token')
  const { page } = await stack.browser()
  await page.goto(`${base}/`)
  const form = page.getByTestId('signin')
  await form.waitFor({ state: 'visible' })
  assert.ok(await page.getByTestId('conversation').isHidden(), 'nothing of the conversation shows before sign-in')

  await page.getByTestId('signin-token').fill('relay_' + '0'.repeat(64))
  await page.getByTestId('signin-submit').click()
  const note = page.getByTestId('signin-error')
  await note.waitFor({ state: 'visible' })
  assert.ok((await note.textContent()).length > 0)
  assert.ok(!(await note.textContent()).includes('relay_000'), 'the token is never echoed')
  assert.ok(await form.isVisible())

  await page.getByTestId('signin-token').fill(token)
  await page.getByTestId('signin-submit').click()
  await form.waitFor({ state: 'hidden' })
  assert.ok(await page.getByTestId('conversation').isVisible())
  // The browser holds a session cookie now (HttpOnly: not readable by scripts).
  const cookies = await page.context().cookies(base)
  assert.equal(cookies.length, 1)
  assert.ok(cookies[0].httpOnly)
  assert.equal(await page.evaluate(() => document.cookie), '')
  assert.equal(await page.evaluate(() => fetch('/auth/whoami').then((r) => r.json()).then((w) => w.user)), 'ann')

  // A reload keeps the sign-in; a revoked token ends it.
  await page.reload()
  await waitFor('the page to connect', async () => (await page.getByTestId('status').getAttribute('data-state')) !== 'connecting')
  assert.ok(await form.isHidden())
  relayCli('team', 'token', 'revoke', 'ann')
  await page.reload()
  await form.waitFor({ state: 'visible' })
})
