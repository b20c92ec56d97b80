// The page's rendering (view.js) in headless chromium: each protocol frame's payload becomes the
// element the docs promise, with its data-testid and state attributes, and the approval buttons
// answer with the decision they name, once.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'

import { Stack } from './harness.mjs'

const stack = new Stack()
let page

before(async () => {
  const base = await stack.relay({ workspace: stack.workspace() })
  ;({ page } = await stack.browser())
  await page.goto(`${base}/`)
  await page.evaluate(async () => {
    window.view = await import(new URL('view.js', document.querySelector('script[type="module"]').src).href)
  })
})
after(() => stack.stopAndCheck())

test('the transcript attributes each line to its speaker and streams the reply', async () => {
  await page.evaluate(() => {
    view.utterance({ role: 'user', speaker: 'alice', itemId: 'u1', text: 'how is backend?' })
    view.assistantDelta('a1', 'Backend is ')
    view.assistantDelta('a1', 'on main.')
    view.utterance({ role: 'user', speaker: 'bob', itemId: 'u2', text: 'and frontend?' })
  })
  const lines = page.getByTestId('transcript').getByTestId('utterance')
  assert.equal(await lines.count(), 3)
  assert.deepEqual(await lines.evaluateAll((ls) => ls.map((l) => [l.dataset.role, l.dataset.speaker, l.querySelector('[data-testid="utterance-text"]').textContent, l.dataset.state ?? null])), [
    ['user', 'alice', 'how is backend?', null],
    ['assistant', 'assistant', 'Backend is on main.', 'streaming'],
    ['user', 'bob', 'and frontend?', null],
  ])
  await page.evaluate(() => {
    view.assistantDone('a1', 'Backend is on main, clean.')
    view.interrupted('a1', 1200)
  })
  const reply = page.locator('[data-testid="utterance"][data-item-id="a1"]')
  assert.equal(await reply.getAttribute('data-state'), 'done')
  assert.equal(await reply.getAttribute('data-interrupted'), '1200')
  assert.equal(await reply.getByTestId('utterance-text').textContent(), 'Backend is on main, clean.')
})

test('tool calls show live progress and their result, failures included', async () => {
  await page.evaluate(() => {
    view.toolStarted({ call_id: 'c1', name: 'sync_repos', arguments: '{}' })
    view.toolProgress({ call_id: 'c1', name: 'sync_repos', message: 'On it: sync repos.' })
    view.toolProgress({ call_id: 'c1', name: 'sync_repos', message: 'fetched', done: 1, total: 3, repo: 'backend' })
  })
  const tool = page.locator('[data-testid="tool"][data-call-id="c1"]')
  assert.equal(await tool.getAttribute('data-state'), 'running')
  assert.equal(await tool.getAttribute('data-updates'), '2')
  assert.equal(await tool.getByTestId('tool-progress').textContent(), 'backend: fetched')
  assert.deepEqual(await tool.getByTestId('tool-bar').evaluate((b) => [b.hidden, b.value, b.max]), [false, 1, 3])
  assert.ok(await page.getByTestId('tools').isVisible())
  await page.evaluate(() => {
    view.toolFinished({ call_id: 'c1', name: 'sync_repos', ok: true, output: JSON.stringify({ summary: '3 repositories synced.' }) })
    view.toolStarted({ call_id: 'c2', name: 'impact_analysis', arguments: '{"repos": [1]}' })
    view.toolFinished({ call_id: 'c2', name: 'impact_analysis', ok: false, output: JSON.stringify({ error: '`repos[0]`: expected string, got integer' }) })
  })
  assert.equal(await tool.getAttribute('data-state'), 'ok')
  assert.equal(await tool.getByTestId('tool-result').textContent(), '3 repositories synced.')
  assert.equal(await tool.getByTestId('tool-bar').evaluate((b) => b.value), 3)
  const failed = page.locator('[data-testid="tool"][data-call-id="c2"]')
  assert.equal(await failed.getAttribute('data-state'), 'failed')
  assert.equal(await failed.getByTestId('tool-result').textContent(), '`repos[0]`: expected string, got integer')
})

test('approval buttons answer once with their decision, and the resolution says who and how', async () => {
  await page.evaluate(() => {
    window.answers = []
    const answer = (id, decision) => answers.push({ id, decision })
    view.approvalRequested({ id: 'ap1', question: 'Push backend to origin? Allow it?', approvers: [], requested_by: 'bob' }, answer, 'alice')
    view.approvalRequested({ id: 'ap2', question: 'Delete branch old? Allow it?', approvers: [] }, answer, 'alice')
    view.approvalRequested({ id: 'ap3', question: 'Merge #4? Allow it?', approvers: ['carol'] }, answer, 'alice')
  })
  const first = page.locator('[data-testid="approval"][data-approval-id="ap1"]')
  assert.equal(await first.getByTestId('approval-question').textContent(), 'Push backend to origin? Allow it?')
  await first.getByTestId('approve').click()
  assert.equal(await first.getAttribute('data-state'), 'answered')
  assert.ok(await first.getByTestId('deny').isDisabled(), 'one answer per request')
  const second = page.locator('[data-testid="approval"][data-approval-id="ap2"]')
  await second.getByTestId('deny').click()
  // Only the approvers may answer: the buttons are off for everyone else, and say who.
  const third = page.locator('[data-testid="approval"][data-approval-id="ap3"]')
  assert.ok(await third.getByTestId('approve').isDisabled())
  assert.equal(await third.getByTestId('approval-resolution').textContent(), 'waiting for carol')
  assert.deepEqual(await page.evaluate(() => answers), [
    { id: 'ap1', decision: 'allow' },
    { id: 'ap2', decision: 'deny' },
  ])
  await page.evaluate(() => {
    view.approvalResolved('ap1', { decision: 'allow', answered_by: 'alice', via: 'button', reason: null })
    view.approvalResolved('ap2', { decision: 'deny', answered_by: 'alice', via: 'voice', reason: null })
    view.approvalResolved('ap3', { decision: 'deny', answered_by: null, via: 'timeout', reason: 'nobody answered within 60 s' })
    view.approvalResolved('unknown', { decision: 'allow', via: 'button' })
  })
  assert.deepEqual(
    await page.getByTestId('approval').evaluateAll((cards) => cards.map((c) => [c.dataset.state, c.dataset.via, c.querySelector('[data-testid="approval-resolution"]').textContent])),
    [
      ['allowed', 'button', 'Allowed by alice, by button'],
      ['denied', 'voice', 'Denied by alice, by voice'],
      ['denied', 'timeout', 'Denied, nobody answered in time (nobody answered within 60 s)'],
    ],
  )
})

test('the briefing panel shows text, items, or the raw object; errors keep the last five', async () => {
  await page.evaluate(() => view.briefing({ text: 'Since Monday:', items: ['backend: 2 commits', { sentence: 'CI on frontend is green again.' }] }))
  const panel = page.getByTestId('briefing')
  assert.ok(await panel.isVisible())
  assert.deepEqual(await panel.locator('p, li').allTextContents(), ['Since Monday:', 'backend: 2 commits', 'CI on frontend is green again.'])
  await page.evaluate(() => view.briefing({ repos_changed: 0 }))
  assert.match(await panel.locator('pre').textContent(), /"repos_changed": 0/)
  await page.evaluate(() => view.briefing(''))
  assert.ok(await panel.isHidden())
  await page.evaluate(() => {
    for (let i = 1; i <= 7; i++) view.error({ code: `e${i}`, message: `problem ${i}`, hint: i === 7 ? 'do this' : undefined })
  })
  assert.deepEqual(await page.getByTestId('error').evaluateAll((es) => es.map((e) => e.dataset.code)), ['e3', 'e4', 'e5', 'e6', 'e7'])
  assert.match(await page.getByTestId('error').last().textContent(), /e7 problem 7do this/)
})
