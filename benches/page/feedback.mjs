// Progressive feedback measured at the page (issue 14's targets: an acknowledgement within 200 ms
// of the end of the user's turn for long work, then progress, then the reply): N spoken turns,
// each in a fresh headless chromium against the real `relay serve` and the fake Realtime peer
// on loopback (pacing the reply audio in real time), read from `window.relayMetrics`.
//
//   bash scripts/setup/browser.sh && cargo build -p relay-cli -p relay-testkit
//   node benches/page/feedback.mjs [N=5]
//
// The fake peer answers at once, so the numbers are Relay's and the browser's share of the
// latency (gateway, transport, WebSocket, Web Audio scheduling), not a model's.
import { startConversation } from '../../crates/relay-server/tests/browser/conversation.mjs'
import { metricsOf, waitFor } from '../../crates/relay-server/tests/browser/harness.mjs'

const runs = Number(process.argv[2] ?? 5)
const rows = []
for (let i = 0; i < runs; i++) {
  const stacks = []
  try {
    const { page } = await startConversation(
      stacks,
      {
        transcripts: ['sync the backend please'],
        turns: [{ kind: 'call', calls: [{ name: 'sync_repos', arguments: '{"repos": ["backend"]}' }] }],
        audio_chunk_ms: 100,
        chunk_interval_ms: 100,
      },
      [0.5, 'Sync the backend please.', 8],
    )
    await page.getByTestId('talk').click()
    await waitFor('the reply audio', async () => (await metricsOf(page)).turns.some((t) => t.firstAudioPlayedAt !== null), { ms: 30000 })
    const turn = (await metricsOf(page)).turns.find((t) => t.firstAudioPlayedAt !== null)
    rows.push({
      ack: turn.ackAt - turn.endedAt,
      progress: turn.progressAt[0] - turn.endedAt,
      audio: turn.firstAudioPlayedAt - turn.endedAt,
      voiceToAck: turn.ackAt - turn.lastVoiceAt,
    })
    process.stderr.write(`run ${i + 1}: ${JSON.stringify(rows.at(-1))}\n`)
  } finally {
    await Promise.all(stacks.map((s) => s.stop()))
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const line = (name, key) => `| ${name} | ${Math.round(median(rows.map((r) => r[key])))} ms | ${Math.round(Math.max(...rows.map((r) => r[key])))} ms |`
console.log(`${runs} spoken turns (end of turn = the server's end-of-speech frame at the page)\n`)
console.log('| from the end of the user\'s turn to | median | max |\n|---|---|---|')
console.log(line('the first acknowledgement frame', 'ack'))
console.log(line('the first tool progress frame', 'progress'))
console.log(line('the first reply audio heard', 'audio'))
console.log(`\nFrom the last voiced microphone frame to the acknowledgement (includes the voice activity detector's silence window): median ${Math.round(median(rows.map((r) => r.voiceToAck)))} ms.`)
