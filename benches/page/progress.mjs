// Progress cadence measured at the page (issue 14: "a progress update every 5–10 s while it runs,
// a completion summary"): one long tool per run — `run_agent_task` with the shell agent running
// `sleep SECONDS` in the fixture's backend — asked by a typed turn on the page, in a fresh
// headless chromium against the real `relay serve` and the fake Realtime peer on loopback.
// Read from `window.relayMetrics`: every `tool_progress` frame, every spoken status line (an
// out-of-band `response_done`), the tool's end and the completion summary (the last reply text).
//
//   bash scripts/setup/browser.sh && cargo build -p relay-cli -p relay-testkit
//   node benches/page/progress.mjs [RUNS=3] [SECONDS=30]
import { startConversation } from '../../crates/relay-server/tests/browser/conversation.mjs'
import { metricsOf, waitFor } from '../../crates/relay-server/tests/browser/harness.mjs'

const runs = Number(process.argv[2] ?? 3)
const seconds = Number(process.argv[3] ?? 30)
const progressGaps = []
const statusGaps = []
const tails = []
for (let i = 0; i < runs; i++) {
  const stacks = []
  try {
    const { page } = await startConversation(
      stacks,
      {
        turns: [{ kind: 'call', calls: [{ name: 'run_agent_task', arguments: JSON.stringify({ task: `sleep ${seconds}`, repos: ['backend'] }) }] }],
        audio_chunk_ms: 100,
        chunk_interval_ms: 100,
      },
      null,
      { relayArgs: () => ['--agent', 'shell'] },
    )
    await page.getByTestId('text-input').fill('run the long task in the backend')
    await page.getByTestId('send').click()
    await waitFor('the completion summary', async () => {
      const turn = (await metricsOf(page)).turns.at(-1)
      return turn?.toolFinishedAt && turn.completedAt > turn.toolFinishedAt
    }, { ms: (seconds + 60) * 1000 })
    const turn = (await metricsOf(page)).turns.at(-1)
    const since = (xs) => xs.map((t) => Math.round(t - turn.endedAt))
    // While the tool runs: from the end of the turn, through every update, to the tool's end.
    const gaps = (xs) => {
      const marks = [turn.endedAt, ...xs.filter((t) => t <= turn.toolFinishedAt), turn.toolFinishedAt]
      return marks.slice(1).map((t, k) => t - marks[k])
    }
    progressGaps.push(...gaps(turn.progressAt).slice(1, -1))
    statusGaps.push(...gaps(turn.statusAt).slice(1, -1))
    tails.push(turn.completedAt - turn.toolFinishedAt)
    process.stderr.write(
      `run ${i + 1}: tool_progress at ${since(turn.progressAt).join(', ')} ms; status spoken at ${since(turn.statusAt).join(', ')} ms; tool done at ${Math.round(turn.toolFinishedAt - turn.endedAt)} ms; summary at ${Math.round(turn.completedAt - turn.endedAt)} ms\n`,
    )
  } finally {
    await Promise.all(stacks.map((s) => s.stop()))
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const row = (name, xs) => `| ${name} | ${xs.length} | ${(median(xs) / 1000).toFixed(2)} s | ${(Math.min(...xs) / 1000).toFixed(2)} s | ${(Math.max(...xs) / 1000).toFixed(2)} s |`
console.log(`${runs} runs of a ${seconds} s tool (gaps between consecutive updates while it ran; the first update is the acknowledgement)\n`)
console.log('| at the page | gaps | median | min | max |\n|---|---|---|---|---|')
console.log(row('`tool_progress` frames', progressGaps))
console.log(row('spoken status lines (out-of-band `response_done`)', statusGaps))
console.log(row('tool finished → completion summary (last `assistant_text`)', tails))
