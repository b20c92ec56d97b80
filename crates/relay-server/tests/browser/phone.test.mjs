// The page on a phone screen (390×844, the harness's viewport) through a whole conversation:
// the controls stay on screen, large enough to tap and not covered by anything, and nothing —
// long transcripts, tool results, an unbroken path — makes the page scroll sideways.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'

import { Stack, waitFor } from './harness.mjs'
import { waitReady } from './conversation.mjs'

const stack = new Stack()
let base

before(async () => {
  // No Realtime peer: the offline text transport answers typed messages (and runs tools).
  base = await stack.relay({ workspace: stack.workspace() })
})
after(() => stack.stopAndCheck())

const CONTROLS = ['talk', 'mode', 'text-input', 'send', 'invite']

/** Each control's box, whether it is on screen, and whether a tap at its centre reaches it. */
function controlsOf(page) {
  return page.evaluate((ids) => {
    const out = {}
    for (const id of ids) {
      const el = document.querySelector(`[data-testid="${id}"]`)
      const r = el.getBoundingClientRect()
      const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)
      out[id] = {
        box: { x: r.x, y: r.y, width: r.width, height: r.height },
        onScreen: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
        reachable: hit === el || el.contains(hit),
      }
    }
    // Any element wider than its box scrolls sideways by itself (e.g. \`main\` scrolls).
    const sideways = [...document.querySelectorAll('main, main *')].filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible').map((e) => e.dataset.testid ?? e.className ?? e.tagName)
    return { controls: out, scrollWidth: document.documentElement.scrollWidth, innerWidth, innerHeight, sideways }
  }, CONTROLS)
}

function assertUsable(state, when) {
  assert.equal(state.innerWidth, 390, 'a phone-sized viewport')
  assert.ok(state.scrollWidth <= state.innerWidth, `${when}: the page is ${state.scrollWidth} px wide on a ${state.innerWidth} px screen`)
  assert.deepEqual(state.sideways, [], `${when}: these scroll sideways`)
  for (const [id, c] of Object.entries(state.controls)) {
    assert.ok(c.onScreen, `${when}: ${id} is off screen: ${JSON.stringify(c.box)}`)
    assert.ok(c.reachable, `${when}: ${id} is covered`)
    assert.ok(c.box.height >= 44, `${when}: ${id} is ${c.box.height} px high, too small to tap`)
  }
}

test('on a phone screen the controls stay visible and usable through a long conversation, with no sideways scroll', async () => {
  const { page, consoleErrors } = await stack.browser()
  await page.goto(`${base}/`)
  await waitReady(page, stack)
  assertUsable(await controlsOf(page), 'at the start')

  // A long conversation: many turns, a tool's result, and a long unbroken word.
  const unbroken = `/workspace/${'very-long-directory-name-'.repeat(12)}file.rs`
  const messages = ['status', `what is ${unbroken}`, ...Array.from({ length: 12 }, (_, i) => `message number ${i + 1} with a few words in it`)]
  for (const text of messages) {
    await page.getByTestId('text-input').fill(text)
    await page.getByTestId('send').click()
  }
  await waitFor('every message answered', async () => (await page.locator('[data-testid="utterance"][data-role="assistant"]').count()) >= messages.length, { ms: 30000 })
  assertUsable(await controlsOf(page), 'after a long conversation')

  // The controls work from there: the mode switches, typing still sends.
  await page.getByTestId('mode').click()
  assert.equal(await page.getByTestId('mode').getAttribute('data-mode'), 'push')
  assertUsable(await controlsOf(page), 'in push-to-talk mode')
  await page.getByTestId('mode').click()
  await page.getByTestId('text-input').fill('one more')
  await page.getByTestId('send').click()
  await waitFor('the last message shown', async () => (await page.locator('[data-testid="utterance"][data-role="user"]').last().textContent()).includes('one more'))
  assert.deepEqual(consoleErrors, [])
})
