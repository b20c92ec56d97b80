// A team's pages in a browser test: tokens made with the real `relay team token create`, the
// sign-in form, the transcript as the page shows it, and two people typing in one shared session.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'

import { relayBin, waitFor } from './harness.mjs'

/** A new token of `user` in `workspace` (extra `env`: e.g. the store the servers share). */
export function tokenFor(stack, workspace, user, env = {}) {
  const out = execFileSync(relayBin(), ['team', 'token', 'create', user], {
    env: { ...process.env, RELAY_WORKSPACE: workspace, RELAY_USER: 'root', HOME: stack.dir, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return /relay_[0-9a-f]{64}/.exec(out)[0]
}

/** Signs `page` in with `token` through the page's form. */
export async function signIn(page, token) {
  await page.getByTestId('signin').waitFor({ state: 'visible' })
  await page.getByTestId('signin-token').fill(token)
  await page.getByTestId('signin-submit').click()
  await page.getByTestId('signin').waitFor({ state: 'hidden' })
}

/** The transcript lines of `page`: [role, speaker, text]. */
export function lines(page) {
  return page.getByTestId('utterance').evaluateAll((ls) => ls.map((l) => [l.dataset.role, l.dataset.speaker, l.querySelector('[data-testid="utterance-text"]').textContent]))
}

/**
 * In one shared session the guest (ann) types `guestText`, then the owner (root) `ownerText`:
 * both pages show both, attributed, and the model's reply to each.
 */
export async function bothTypeAndBothSee(owner, guest, guestText, ownerText) {
  await guest.getByTestId('text-input').fill(guestText)
  await guest.getByTestId('send').click()
  await waitFor('the reply to ann', async () => (await lines(owner)).some(([role, , text]) => role === 'assistant' && text.includes(guestText)))
  await owner.getByTestId('text-input').fill(ownerText)
  await owner.getByTestId('send').click()
  for (const page of [owner, guest]) {
    await waitFor('both replies on both pages', async () => (await lines(page)).filter(([role]) => role === 'assistant').length >= 2, { detail: async () => JSON.stringify(await lines(page)) })
    const said = (await lines(page)).filter(([role]) => role === 'user').map(([, speaker, text]) => [speaker, text])
    assert.deepEqual(said, [
      ['ann', guestText],
      ['root', ownerText],
    ])
  }
}
