// A server restart under a conversation: SIGTERM to `relay serve` ends it gracefully (`closed`
// with `resumable` and `resume`), the page says so and reconnects by itself with `?session=`;
// a new `relay serve` on the same address and workspace (its store) takes the conversation
// over: same session id, the earlier turns replayed to the model, the next turn answered.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'

import { waitReady } from './conversation.mjs'
import { Stack, waitFor } from './harness.mjs'

const stack = new Stack()
const late = new Stack()
after(() => Promise.all([stack.stopAndCheck(), late.stopAndCheck()]))

test('after a SIGTERM the page resumes the same session on the next server', async (t) => {
  const peer = await stack.realtime({ turns: [{ kind: 'say', text: 'The backend is green.', audio_ms: 800 }], audio_chunk_ms: 100, chunk_interval_ms: 100 })
  const workspace = stack.workspace()
  const base = await stack.relay({ workspace, realtimeUrl: peer.url })
  const first = stack.relayProcess
  const { page, consoleErrors } = await stack.browser()
  await page.goto(`${base}/`)
  await waitReady(page, stack)
  const session = await page.getByTestId('session-id').textContent()
  await page.getByTestId('text-input').fill('how is the backend?')
  await page.getByTestId('send').click()
  await page.locator('[data-testid="utterance"][data-role="assistant"]').filter({ hasText: 'The backend is green.' }).waitFor({ timeout: 20000 })

  // SIGTERM: nothing runs, so the conversation closes at once, handed back.
  const exited = new Promise((resolve) => first.once('exit', resolve))
  first.kill('SIGTERM')
  await page.locator('[data-testid="utterance"][data-role="system"]').filter({ hasText: 'the server is shutting down' }).waitFor({ timeout: 20000 })
  // Not "conversation ended" with a button to press: the page retries by itself ("resuming…",
  // then "not connected" while no server answers).
  const state = await waitFor('the page to notice', async () => {
    const value = await page.getByTestId('status').getAttribute('data-state')
    return value !== 'connected' && value
  })
  assert.notEqual(state, 'closed')
  assert.equal(await page.getByTestId('reconnect').isHidden(), true, 'no button to press: the page reconnects by itself')
  assert.equal(await exited, 0, 'relay serve exited cleanly')

  // The next server, same address and store: the page is back in the same session.
  const sockets = []
  page.on('websocket', (ws) => sockets.push(ws.url()))
  const again = await stack.relay({ workspace, realtimeUrl: peer.url, bind: new URL(base).host })
  assert.equal(again, base)
  await waitFor('the page to be connected again', async () => (await page.getByTestId('status').getAttribute('data-state')) === 'connected', { ms: 30000 })
  assert.equal(await page.getByTestId('session-id').textContent(), session)
  assert.ok(sockets.some((url) => new URL(url).searchParams.get('session') === session), sockets.join(', '))
  // The model on the new connection heard the earlier turn again.
  const log = await peer.log()
  const replayed = log.connections.at(-1).client_events.filter((e) => e.type === 'conversation.item.create').map((e) => JSON.stringify(e.item))
  assert.ok(replayed.some((item) => item.includes('how is the backend?')), replayed.join('\n'))
  await page.getByTestId('text-input').fill('and the frontend?')
  await page.getByTestId('send').click()
  await waitFor('the next turn answered', async () => (await page.locator('[data-testid="utterance"][data-role="assistant"]').count()) >= 2)
  t.diagnostic(`session ${session} resumed on the restarted server`)
  assert.deepEqual(consoleErrors.filter((e) => !e.includes('WebSocket') && !e.includes('ERR_CONNECTION_REFUSED')), [])
})

test('a tool still running when the grace ends is cancelled, and the page says so', async () => {
  const peer = await late.realtime({ turns: [{ kind: 'call', calls: [{ name: 'run_agent_task', arguments: JSON.stringify({ task: 'sleep 300', repos: ['backend'] }) }] }] })
  const workspace = late.workspace()
  const base = await late.relay({ workspace, realtimeUrl: peer.url, args: ['--agent', 'shell', '--grace', '1'] })
  const server = late.relayProcess
  const { page } = await late.browser()
  await page.goto(`${base}/`)
  await waitReady(page, late)
  await page.getByTestId('text-input').fill('run the long task in the backend')
  await page.getByTestId('send').click()
  const tool = page.locator('[data-testid="tool"][data-name="run_agent_task"]')
  await tool.waitFor({ timeout: 20000 })
  const exited = new Promise((resolve) => server.once('exit', resolve))
  server.kill('SIGTERM')
  // The grace (1 s) ends with the tool running: it is cancelled (its process too: the stack's
  // check finds no process left in the workspace) and the page is told what was lost.
  await page.locator('[data-testid="utterance"][data-role="system"]').filter({ hasText: 'run_agent_task was cancelled' }).waitFor({ timeout: 20000 })
  assert.equal(await exited, 0)
  assert.equal(await tool.getAttribute('data-state'), 'running', 'it never finished')
})
