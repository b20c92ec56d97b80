// Approvals on the page: a tool whose effect is hard to undo (env_down) asks first; the question
// shows with buttons and is answered by the Approve button, or by the user's own voice ("yes"),
// and the page shows how it was resolved. The model never answers: the tool runs only after the
// person's answer, which the peer sees as the tool's output.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'

import { startConversation } from './conversation.mjs'
import { metricsOf, waitFor } from './harness.mjs'

const stacks = []
after(() => Promise.all(stacks.map((s) => s.stopAndCheck())))

const TEAR_DOWN = { kind: 'call', calls: [{ name: 'env_down', arguments: '{"name": "dev-1"}' }] }

/** Types `text` into the page and sends it. */
async function say(page, text) {
  await page.getByTestId('text-input').fill(text)
  await page.getByTestId('send').click()
}

/** The tool output the peer received for `name` (from function_call_output items). */
async function toolOutput(peer, name) {
  const log = await peer.log()
  for (const connection of log.connections) {
    const calls = connection.client_events.filter((e) => e.type === 'conversation.item.create' && e.item?.type === 'function_call_output')
    if (calls.length) return calls.map((e) => e.item.output)
  }
  return null
}

test('an approval answered by the button: the question shows, Approve resolves it, the tool goes ahead', async () => {
  const { page, peer } = await startConversation(stacks, { turns: [TEAR_DOWN] })
  await say(page, 'tear down dev-1')
  const card = page.getByTestId('approval').first()
  await card.waitFor({ timeout: 20000 })
  assert.match(await card.getByTestId('approval-question').textContent(), /dev-1/)
  assert.equal(await card.getAttribute('data-state'), 'pending')
  await card.getByTestId('approve').click()
  await waitFor('the approval to resolve', async () => ['allowed', 'denied'].includes(await card.getAttribute('data-state')))
  assert.equal(await card.getAttribute('data-state'), 'allowed')
  assert.equal(await card.getAttribute('data-via'), 'button')
  assert.match(await card.getByTestId('approval-resolution').textContent(), /^Allowed by .+, by button$/)
  const answers = (await metricsOf(page)).approvalAnswers
  assert.deepEqual(answers.map((a) => [a.id, a.decision]), [[await card.getAttribute('data-approval-id'), 'allow']])
  // The tool ran after the answer: its output reached the model and the page.
  const tool = page.locator('[data-testid="tool"][data-name="env_down"]')
  await waitFor('the tool to finish', async () => (await tool.getAttribute('data-state')) !== 'running')
  const outputs = await waitFor('the tool output at the peer', () => toolOutput(peer, 'env_down'))
  assert.ok(!outputs.join().includes('was not run'), outputs.join())
})

test('an approval answered by voice: the user says "yes" and the page shows it was answered by voice', async () => {
  const { page } = await startConversation(stacks, { turns: [TEAR_DOWN], transcripts: ['yes'] }, [1.0, 'Yes.', 8])
  await say(page, 'tear down dev-1')
  const card = page.getByTestId('approval').first()
  await card.waitFor({ timeout: 20000 })
  await page.getByTestId('talk').click()
  await waitFor('the approval to resolve', async () => ['allowed', 'denied'].includes(await card.getAttribute('data-state')), { ms: 30000 })
  assert.equal(await card.getAttribute('data-state'), 'allowed')
  assert.equal(await card.getAttribute('data-via'), 'voice')
  assert.ok(await card.getByTestId('approve').isDisabled(), 'answered: the buttons are off')
  assert.deepEqual((await metricsOf(page)).approvalAnswers, [], 'no button was pressed')
  await page.getByTestId('talk').click()
})

test('Deny refuses the action: the tool does not run and the model hears the denial', async () => {
  const { page, peer } = await startConversation(stacks, { turns: [TEAR_DOWN] })
  await say(page, 'tear down dev-1')
  const card = page.getByTestId('approval').first()
  await card.waitFor({ timeout: 20000 })
  await card.getByTestId('deny').click()
  await waitFor('the approval to resolve', async () => (await card.getAttribute('data-state')) === 'denied')
  assert.equal(await card.getAttribute('data-via'), 'button')
  const tool = page.locator('[data-testid="tool"][data-name="env_down"]')
  await waitFor('the tool to finish', async () => (await tool.getAttribute('data-state')) === 'failed')
  const outputs = await waitFor('the tool output at the peer', () => toolOutput(peer, 'env_down'))
  assert.match(outputs.join(), /`env_down` was not run: the user \(\w+\) said no/)
})
