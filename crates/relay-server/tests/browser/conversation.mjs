// Starting a conversation for a browser test: the fake Realtime peer, `relay serve` in front of
// it on a fixture workspace, and a browser on the page, ready (the session id is shown).
import { Stack, base64Level, speechWav, waitFor } from './harness.mjs'

/**
 * Starts a peer playing `scenario`, `relay serve` and a browser whose microphone says `speech`
 * (see speechWav). `stacks` collects the stack for the test file's `after`. `relayArgs(stack)`
 * and `browserArgs(stack)` add command-line flags (e.g. TLS).
 */
export async function startConversation(stacks, scenario, speech, { workspaceSetup, relayArgs = () => [], browserArgs = () => [] } = {}) {
  const stack = new Stack()
  stacks.push(stack)
  const peer = await stack.realtime(scenario)
  const workspace = stack.workspace()
  workspaceSetup?.(workspace)
  const base = await stack.relay({ workspace, realtimeUrl: peer.url, args: relayArgs(stack) })
  const wav = speech ? speechWav(stack.dir, 'mic', speech) : undefined
  const browser = await stack.browser({ wav, args: browserArgs(stack) })
  await browser.page.goto(`${base}/`)
  await waitReady(browser.page, stack)
  return { stack, peer, base, workspace, ...browser }
}

/** Waits until `page` shows a session id (the `ready` frame arrived). */
export async function waitReady(page, stack) {
  await waitFor('the conversation to be ready', async () => (await page.getByTestId('session-id').textContent()) !== '', {
    detail: async () => `status: ${await page.getByTestId('status').textContent()}; errors: ${await page.getByTestId('errors').textContent()}; relay serve: ${stack?.relayOutput?.stderr.slice(-2000)}`,
  })
}

/** The loudest `input_audio_buffer.append` the peer received (RMS, 0–1) and their total bytes. */
export function inputAudio(log) {
  let peak = 0
  let bytes = 0
  for (const connection of log.connections) {
    for (const event of connection.client_events) {
      if (event.type !== 'input_audio_buffer.append' || typeof event.audio !== 'string') continue
      peak = Math.max(peak, base64Level(event.audio))
      bytes += Buffer.from(event.audio, 'base64').length
    }
  }
  return { peak, bytes }
}
