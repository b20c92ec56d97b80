// A conversation end to end: headless chromium with a fake microphone (espeak-ng speech) on the
// page, the real `relay serve`, and the testkit's fake Realtime peer as the model. The peer's
// log is the evidence of what reached the model: the user's audio, the tool outputs, the cut
// of an interrupted reply.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'

import { startConversation, inputAudio } from './conversation.mjs'
import { metricsOf, waitFor } from './harness.mjs'

const stacks = []
after(() => Promise.all(stacks.map((s) => s.stopAndCheck())))

test('a spoken question reaches the model as audio, the tool runs with its progress shown, and the reply plays', async (t) => {
  const { peer, page, consoleErrors } = await startConversation(
    stacks,
    {
      transcripts: ['sync the backend please'],
      // The model syncs backend, then (no turns left) speaks the tool's output: "Results: ...".
      turns: [{ kind: 'call', calls: [{ name: 'sync_repos', arguments: '{"repos": ["backend"]}' }] }],
      audio_chunk_ms: 100,
      chunk_interval_ms: 100,
    },
    [0.5, 'Sync the backend please.', 8],
  )
  await page.getByTestId('talk').click()
  await waitFor('the microphone to open', async () => (await page.getByTestId('talk').getAttribute('aria-pressed')) === 'true')

  // The user's words, as the model transcribed them, attributed to the user.
  const said = page.locator('[data-testid="utterance"][data-role="user"]')
  await said.first().waitFor({ timeout: 20000 })
  assert.equal(await said.first().getByTestId('utterance-text').textContent(), 'sync the backend please')

  // The tool: acknowledged at once (a long tool), then its progress, then its result.
  const tool = page.locator('[data-testid="tool"][data-name="sync_repos"]')
  await tool.waitFor({ timeout: 20000 })
  await waitFor('the tool to finish', async () => (await tool.getAttribute('data-state')) !== 'running', { ms: 30000 })
  assert.equal(await tool.getAttribute('data-state'), 'ok', await tool.getByTestId('tool-result').textContent())
  assert.ok(Number(await tool.getAttribute('data-updates')) >= 1, 'progress was shown')

  // The reply: its transcript quotes the tool's real output, and its audio is heard.
  const reply = page.locator('[data-testid="utterance"][data-role="assistant"]').filter({ hasText: 'Results:' })
  await reply.waitFor({ timeout: 20000 })
  await waitFor('the reply audio to play', async () => {
    const m = await metricsOf(page)
    return m.turns.some((t) => t.firstAudioPlayedAt !== null) && m.received.bytes > 0
  })
  await page.getByTestId('talk').click()

  // What reached the model: the user's speech as audio (not silence), and the tool output.
  const log = await peer.log()
  const audio = inputAudio(log)
  assert.ok(audio.bytes > 24000 * 2, `${audio.bytes} bytes of input audio`)
  assert.ok(audio.peak > 0.05, `the loudest input audio frame had level ${audio.peak}`)
  const metrics = await metricsOf(page)
  assert.ok(metrics.sent.peakLevel > 0.05 && metrics.sent.voicedFrames > 0, JSON.stringify(metrics.sent))
  // The progressive-feedback measurements exist, in order: end of turn, acknowledgement, audio.
  const turn = metrics.turns.find((t) => t.firstAudioPlayedAt !== null)
  assert.ok(turn.ackAt >= turn.endedAt && turn.firstAudioPlayedAt >= turn.endedAt, JSON.stringify(turn))
  assert.ok(turn.progressAt.length >= 1, JSON.stringify(turn))
  // Reported, not asserted (tests never assert on timings): the page-measured feedback latencies.
  const since = (at) => (at === null ? 'n/a' : `${Math.round(at - turn.endedAt)} ms`)
  t.diagnostic(`end of turn (${turn.via}) -> ack (${turn.ackType}) ${since(turn.ackAt)}, first progress ${since(turn.progressAt[0])}, first reply audio heard ${since(turn.firstAudioPlayedAt)}; last voiced frame -> end of turn ${turn.lastVoiceAt === null ? 'n/a' : Math.round(turn.endedAt - turn.lastVoiceAt) + ' ms'}`)
  assert.deepEqual(consoleErrors, [])
})

test('talking over the reply stops it at once and the model cuts it where the page stopped', async (t) => {
  const { peer, page } = await startConversation(
    stacks,
    {
      transcripts: ['tell me everything about the backend', 'stop'],
      turns: [{ kind: 'say', text: 'The backend is a service with many parts. '.repeat(12).trim(), audio_ms: 12000 }],
      audio_chunk_ms: 100,
      chunk_interval_ms: 100,
    },
    [0.5, 'Tell me everything about the backend.', 3.5, 'Stop. Stop.', 8],
  )
  await page.getByTestId('talk').click()
  const long = page.locator('[data-testid="utterance"][data-role="assistant"]').first()
  await long.waitFor({ timeout: 20000 })
  // The user speaks again while the reply plays: the page stops it and reports what was heard.
  await waitFor('the barge-in report', async () => (await metricsOf(page)).playbackReports.length > 0, { ms: 30000 })
  const metrics = await metricsOf(page)
  const report = metrics.playbackReports[0]
  assert.equal(report.reason, 'user_speech_started')
  assert.ok(report.played_ms > 0 && report.played_ms < 12000, JSON.stringify(report))

  // The model's copy of the reply is cut where the user was when they started talking: the
  // server carries the page's latest position report forward by the time since it arrived. The
  // page's final position is later only by the time the server's `user_speech_started` took to
  // reach it (it played on meanwhile), so the cut is before it and within one report interval
  // (100 ms) of it: no longer up to a whole interval behind the report the server held.
  const truncation = await waitFor('the truncation at the peer', async () => (await peer.log()).connections.flatMap((c) => c.truncations)[0])
  assert.equal(truncation.item_id, report.item_id)
  const updates = metrics.playbackUpdates.filter((r) => r.item_id === report.item_id && r.at <= report.at)
  const detail = `cut at ${truncation.audio_end_ms} ms; the page's last reports ${updates.slice(-3).map((r) => r.played_ms).join(', ')}, final ${report.played_ms}`
  assert.ok(truncation.audio_end_ms <= report.played_ms, `never cut after what was heard: ${detail}`)
  assert.ok(report.played_ms - truncation.audio_end_ms < 100, detail)
  t.diagnostic(`page played ${report.played_ms} ms; the model's copy was cut at ${truncation.audio_end_ms} ms`)
  // The interrupted reply is marked so on the page.
  await waitFor('the reply marked interrupted', () => long.getAttribute('data-interrupted'))
  await page.getByTestId('talk').click()
})
