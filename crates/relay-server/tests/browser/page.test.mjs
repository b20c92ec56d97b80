// The page in headless chromium, served by the real `relay serve`: it loads on a phone screen
// under its Content-Security-Policy, its capture worklet turns the fake microphone's speech
// into PCM16 24 kHz frames, and its player plays reply audio back to back and reports exactly
// how much it played when it is stopped.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'

import { Stack, speechWav } from './harness.mjs'

const stack = new Stack()
let base
let wav

before(async () => {
  wav = speechWav(stack.dir, 'hello', [0.6, 'Hello Relay, what is the status of the backend?', 3])
  const workspace = stack.workspace()
  base = await stack.relay({ workspace })
})
after(() => stack.stopAndCheck())

/** The URL of the page's module `file` (under the versioned assets path the page uses). */
function assetUrl(page, file) {
  return page.evaluate((f) => new URL(f, document.querySelector('script[type="module"]').src).href, file)
}

test('the page loads on a phone screen under its policy, with large touch targets and its hooks', async () => {
  const { page, consoleErrors } = await stack.browser()
  const policyViolations = []
  page.on('console', (m) => m.text().includes('Content Security Policy') && policyViolations.push(m.text()))
  const response = await page.goto(`${base}/`)
  assert.equal(response.status(), 200)
  assert.equal(await page.title(), 'Relay')
  await page.waitForFunction(() => window.relayMetrics !== undefined)
  for (const hook of ['talk', 'transcript', 'session-id', 'text-input', 'mode', 'status']) {
    assert.equal(await page.getByTestId(hook).count(), 1, hook)
  }
  const talk = await page.getByTestId('talk').boundingBox()
  assert.ok(talk.height >= 48 && talk.width >= 200, `talk button ${JSON.stringify(talk)}`)
  // Nothing wider than the phone's screen.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth))
  assert.equal(await page.getByTestId('talk').getAttribute('aria-pressed'), 'false')
  // The mode switch toggles push-to-talk and back, and remembers it.
  await page.getByTestId('mode').click()
  assert.equal(await page.getByTestId('mode').getAttribute('data-mode'), 'push')
  assert.equal(await page.getByTestId('talk').textContent(), 'Hold to talk')
  await page.reload()
  assert.equal(await page.getByTestId('mode').getAttribute('data-mode'), 'push')
  await page.getByTestId('mode').click()
  assert.equal(await page.getByTestId('mode').getAttribute('data-mode'), 'hands-free')
  assert.deepEqual(policyViolations, [])
  assert.deepEqual(consoleErrors.filter((e) => !e.includes('WebSocket') && !e.includes('status of 40')), [])
})

test('the capture worklet turns the microphone into PCM16 24 kHz frames of 40 ms, speech and all', async () => {
  const { page, context } = await stack.browser({ wav })
  await page.goto(`${base}/`)
  const audioJs = await assetUrl(page, 'audio.js')
  const pcmJs = await assetUrl(page, 'pcm.js')
  const result = await page.evaluate(
    async ({ audioJs, pcmJs }) => {
      const { Microphone } = await import(audioJs)
      const { rms16 } = await import(pcmJs)
      const context = new AudioContext()
      const frames = []
      const mic = new Microphone(context, ({ pcm, level, samples }) => {
        const view = new DataView(pcm)
        const decoded = new Int16Array(pcm.byteLength / 2)
        for (let i = 0; i < decoded.length; i++) decoded[i] = view.getInt16(i * 2, true)
        frames.push({ bytes: pcm.byteLength, samples, level, check: rms16(decoded) })
      })
      await mic.start()
      const started = context.currentTime
      await new Promise((r) => setTimeout(r, 3500))
      await mic.stop()
      const elapsed = context.currentTime - started
      const count = frames.length
      await new Promise((r) => setTimeout(r, 300))
      return { rate: context.sampleRate, frames, elapsed, afterStop: frames.length - count }
    },
    { audioJs, pcmJs },
  )
  const { frames } = result
  assert.ok(frames.length > 20, `${frames.length} frames`)
  // 40 ms frames (960 samples, 1920 bytes), the last one flushed short.
  for (const frame of frames.slice(0, -1)) assert.deepEqual([frame.samples, frame.bytes], [960, 1920])
  // The level the page reports is the level of the bytes it sends.
  for (const frame of frames) assert.ok(Math.abs(frame.level - frame.check) < 1e-9)
  // 24 000 samples per second of the audio clock, whatever the context's own rate.
  const samples = frames.reduce((n, f) => n + f.samples, 0)
  const ratio = samples / (result.elapsed * 24000)
  assert.ok(ratio > 0.9 && ratio < 1.1, `${samples} samples in ${result.elapsed} s at a ${result.rate} Hz context`)
  // Speech is loud; the leading silence is not.
  const peak = Math.max(...frames.map((f) => f.level))
  assert.ok(peak > 0.05, `peak level ${peak}`)
  assert.ok(frames[0].level < 0.01, `first frame level ${frames[0].level}`)
  assert.equal(result.afterStop, 0, 'a stopped microphone sends nothing')
  await context.close()
})

test('the player plays chunks back to back and, stopped, reports exactly what was heard', async () => {
  const { page } = await stack.browser()
  await page.goto(`${base}/`)
  const playerJs = await assetUrl(page, 'player.js')
  const result = await page.evaluate(async (playerJs) => {
    const { Player } = await import(playerJs)
    const context = new AudioContext()
    await context.resume()
    const started = []
    const player = new Player(context, { onStarted: (id, at) => started.push({ id, at }) })
    const notPlaying = player.stop()
    player.begin('item_1')
    // 2 s of a 220 Hz tone in 100 ms chunks, the last one an odd number of bytes.
    const chunk = (offset) => {
      const bytes = new Uint8Array(4800)
      const view = new DataView(bytes.buffer)
      for (let i = 0; i < 2400; i++) view.setInt16(i * 2, Math.round(3000 * Math.sin((2 * Math.PI * 220 * (offset + i)) / 24000)), true)
      return bytes
    }
    for (let c = 0; c < 19; c++) player.push(chunk(c * 2400).buffer)
    const last = chunk(19 * 2400)
    player.push(last.slice(0, 2401).buffer)
    player.push(last.slice(2401).buffer)
    const firstStart = player.item.sources[0].startAt
    const contiguous = player.item.sources.every((s, i, all) => i === 0 || Math.abs(s.startAt - (all[i - 1].startAt + all[i - 1].duration)) < 1e-9)
    const received = player.item.receivedMs
    await new Promise((r) => setTimeout(r, 700))
    const playingBefore = player.playing()
    const before = context.currentTime
    const report = player.stop()
    const after = context.currentTime
    const droppedBefore = player.droppedBytes
    player.push(chunk(0).buffer)
    const again = player.stop()
    // A new item plays again.
    player.begin('item_2')
    player.push(chunk(0).buffer)
    return {
      notPlaying,
      contiguous,
      received,
      playingBefore,
      report,
      // The audio clock advances in render quanta, possibly between two reads: the report must
      // fall between the clock just before and just after stop().
      earliest: (before - firstStart) * 1000,
      latest: (after - firstStart) * 1000,
      dropped: player.droppedBytes - droppedBefore,
      again,
      playingAfter: player.playing(),
      started: started.map((s) => s.id),
    }
  }, playerJs)
  assert.equal(result.notPlaying, null, 'nothing to stop before any audio')
  assert.ok(result.contiguous, 'chunks are scheduled back to back')
  assert.ok(Math.abs(result.received - 2000) < 0.001, `${result.received} ms queued`)
  assert.ok(result.playingBefore)
  assert.equal(result.report.item_id, 'item_1')
  assert.ok(result.report.played_ms > 0 && result.report.played_ms < 2000, JSON.stringify(result.report))
  // Exactly the audio clock's time since the first sample (read inside stop()), to the millisecond.
  assert.ok(
    result.report.played_ms >= Math.floor(result.earliest) - 1 && result.report.played_ms <= Math.ceil(result.latest) + 1,
    `${result.report.played_ms} not within the clock's ${result.earliest}..${result.latest}`,
  )
  assert.equal(result.dropped, 4800, 'frames of a cut item are dropped')
  assert.equal(result.again, null, 'an item is reported once')
  assert.ok(result.playingAfter)
  assert.deepEqual(result.started, ['item_1', 'item_2'])
})
