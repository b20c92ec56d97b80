// Two browsers in one shared session: the owner (root) invites, a teammate (ann) opens the
// invite link and signs in; both see each other join, and both see every utterance attributed
// to its speaker, and the model's replies.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'

import { waitReady } from './conversation.mjs'
import { Stack, waitFor } from './harness.mjs'
import { bothTypeAndBothSee, signIn, tokenFor } from './team.mjs'

const stack = new Stack()
let base
let workspace
let tokens

before(async () => {
  const peer = await stack.realtime({})
  workspace = stack.workspace()
  appendFileSync(join(workspace, 'relay.yaml'), 'team:\n  - user: ann\n    role: developer\n  - user: root\n    role: admin\n')
  tokens = { root: tokenFor(stack, workspace, 'root'), ann: tokenFor(stack, workspace, 'ann') }
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
  await bothTypeAndBothSee(owner, guest, 'hello from ann', 'hello from root')
})
