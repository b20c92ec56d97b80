// Two browsers in one shared session: the owner (root) invites, a teammate (ann) opens the
// invite link and signs in; both see each other join, and both see every utterance attributed
// to its speaker, and the model's replies.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'

import { waitReady } from './conversation.mjs'
import { Stack, relayBin, waitFor } from './harness.mjs'

const stack = new Stack()
let base
let workspace
let tokens

function tokenFor(user) {
  const out = execFileSync(relayBin(), ['team', 'token', 'create', user], { env: { ...process.env, RELAY_WORKSPACE: workspace, RELAY_USER: 'root', HOME: stack.dir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  return /relay_[0-9a-f]{64}/.exec(out)[0]
}

async function signIn(page, token) {
  await page.getByTestId('signin').waitFor({ state: 'visible' })
  await page.getByTestId('signin-token').fill(token)
  await page.getByTestId('signin-submit').click()
  await page.getByTestId('signin').waitFor({ state: 'hidden' })
}

/** The transcript lines of `page`: [role, speaker, text]. */
function lines(page) {
  return page.getByTestId('utterance').evaluateAll((ls) => ls.map((l) => [l.dataset.role, l.dataset.speaker, l.querySelector('[data-testid="utterance-text"]').textContent]))
}

before(async () => {
  const peer = await stack.realtime({})
  workspace = stack.workspace()
  appendFileSync(join(workspace, 'relay.yaml'), 'team:\n  - user: ann\n    role: developer\n  - user: root\n    role: admin\n')
  tokens = { root: tokenFor('root'), ann: tokenFor('ann') }
  base = await stack.relay({ workspace, realtimeUrl: peer.url })
})
after(() => stack.stopAndCheck())

test('two browsers share one session: both see who joined and every utterance with its speaker', async () => {
  const owner = (await stack.browser()).page
  await owner.goto(`${base}/`)
  await signIn(owner, tokens.root)
  await waitReady(owner, stack)
  const sessionId = await owner.getByTestId('session-id').textContent()

  await owner.getByTestId('invite').click()
  const link = owner.getByTestId('invite-url')
  await waitFor('the invite link', async () => (await link.getAttribute('href'))?.includes('join='))
  const url = await link.getAttribute('href')
  assert.ok(url.startsWith(`${base}/?join=`), url)

  const guest = (await stack.browser()).page
  await guest.goto(url)
  await signIn(guest, tokens.ann)
  await waitReady(guest, stack)
  assert.equal(await guest.getByTestId('session-id').textContent(), sessionId, 'the same session')
  assert.match(await guest.getByTestId('owner').textContent(), /root/)
  await waitFor('the owner to see ann join', async () => (await owner.locator('[data-testid="participants"] li[data-user="ann"]').count()) === 1)

  // The guest types; the owner types; both pages show both, attributed, and the model's replies.
  await guest.getByTestId('text-input').fill('hello from ann')
  await guest.getByTestId('send').click()
  await waitFor('the reply to ann', async () => (await lines(owner)).some(([role, , text]) => role === 'assistant' && text.includes('hello from ann')))
  await owner.getByTestId('text-input').fill('hello from root')
  await owner.getByTestId('send').click()
  for (const page of [owner, guest]) {
    await waitFor('both replies on both pages', async () => (await lines(page)).filter(([role]) => role === 'assistant').length >= 2, { detail: async () => JSON.stringify(await lines(page)) })
    const said = (await lines(page)).filter(([role]) => role === 'user').map(([, speaker, text]) => [speaker, text])
    assert.deepEqual(said, [
      ['ann', 'hello from ann'],
      ['root', 'hello from root'],
    ])
  }
})
