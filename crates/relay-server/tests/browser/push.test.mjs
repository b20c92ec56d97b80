// Push-to-talk end to end: the page tells the gateway its mode (the Realtime session's own turn
// detection goes off), the user holds `talk` while the fake microphone speaks (espeak-ng) and
// releases: the model gets exactly one committed turn holding that audio, and the reply plays.
// A second press during the reply barges in: playback stops and the model's copy is cut exactly
// where the page stopped.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'

import { inputAudio, startConversation } from './conversation.mjs'
import { metricsOf, waitFor } from './harness.mjs'

const stacks = []
after(() => Promise.all(stacks.map((s) => s.stopAndCheck())))

/** Presses `talk` with the pointer and holds it for `ms`. */
async function hold(page, ms) {
  const box = await page.getByTestId('talk').boundingBox()
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
  await page.mouse.down()
  await waitFor('the microphone to open', async () => (await page.getByTestId('talk').getAttribute('aria-pressed')) === 'true')
  await new Promise((r) => setTimeout(r, ms))
}

test('hold to talk, release: one committed turn with the spoken audio, the reply plays, a second press barges in', async (t) => {
  const { peer, page, consoleErrors } = await startConversation(
    stacks,
    {
      transcripts: ['what changed in the backend', 'stop'],
      turns: [{ kind: 'say', text: 'Two commits landed in the backend today. '.repeat(8).trim(), audio_ms: 10000 }],
      audio_chunk_ms: 100,
      chunk_interval_ms: 100,
    },
    // A pause in the middle: with the service's detection on, it would end a turn by itself.
    [0.4, 'What changed', 1.2, 'in the backend?', 8],
  )
  await page.getByTestId('mode').click()
  assert.equal(await page.getByTestId('mode').getAttribute('data-mode'), 'push')

  await hold(page, 4000)
  await page.mouse.up()
  await waitFor('the release to end the turn', async () => (await metricsOf(page)).turns.some((turn) => turn.via === 'commit'))
  const sentFirstTurn = (await metricsOf(page)).sent

  // The reply: its transcript is shown and its audio is heard.
  const reply = page.locator('[data-testid="utterance"][data-role="assistant"]').first()
  await reply.waitFor({ timeout: 20000 })
  await waitFor('the reply to play for a second', async () => (await metricsOf(page)).playbackUpdates.some((u) => u.played_ms >= 1000), { ms: 30000 })

  // What reached the model: detection off before any audio, the speech (not silence), one commit.
  const log = await peer.log()
  const events = log.connections.flatMap((c) => c.client_events)
  const firstAppend = events.findIndex((e) => e.type === 'input_audio_buffer.append')
  const modeUpdate = events.findIndex((e) => e.type === 'session.update' && e.event_id === 'relay_turn_detection')
  assert.ok(modeUpdate >= 0 && modeUpdate < firstAppend, `turn detection switched off at event ${modeUpdate}, first audio at ${firstAppend}`)
  assert.equal(events[modeUpdate].session.audio.input.turn_detection, null)
  assert.equal(events.filter((e) => e.type === 'input_audio_buffer.commit').length, 1)
  const audio = inputAudio(log)
  assert.equal(audio.bytes, sentFirstTurn.bytes, 'every byte the page sent, and only those, is in the turn')
  assert.ok(audio.peak > 0.05, `the loudest input audio frame had level ${audio.peak}`)
  const said = page.locator('[data-testid="utterance"][data-role="user"]')
  assert.equal(await said.count(), 1)
  assert.equal(await said.first().getByTestId('utterance-text').textContent(), 'what changed in the backend')
  let metrics = await metricsOf(page)
  assert.equal(metrics.frames.user_speech_started ?? 0, 0, 'the service detected no speech by itself')

  // The second press, while the reply plays: it stops at once and the cut is exactly there.
  await hold(page, 1500)
  metrics = await metricsOf(page)
  const report = metrics.playbackReports.find((r) => r.reason === 'push_to_talk')
  assert.ok(report && report.played_ms >= 1000 && report.played_ms < 10000, JSON.stringify(metrics.playbackReports))
  const truncation = await waitFor('the truncation at the peer', async () => (await peer.log()).connections.flatMap((c) => c.truncations)[0])
  assert.deepEqual(truncation, { item_id: report.item_id, audio_end_ms: report.played_ms })
  await waitFor('the reply marked interrupted', () => reply.getAttribute('data-interrupted'))
  assert.equal(await reply.getAttribute('data-interrupted'), String(report.played_ms))
  await page.mouse.up()
  await waitFor('the second turn committed', async () => (await peer.log()).connections.flatMap((c) => c.client_events).filter((e) => e.type === 'input_audio_buffer.commit').length === 2)
  t.diagnostic(`first turn ${sentFirstTurn.bytes} bytes; the reply was cut at ${report.played_ms} ms, where the page stopped`)
  assert.deepEqual(consoleErrors, [])
})
