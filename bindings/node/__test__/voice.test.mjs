// Voice sessions from Node: the offline text transport and OpenAI Realtime against the fake
// Realtime server (relay-testkit realtime), both calling the real repository tools.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { makeWorkspace } from './fixtures.mjs'
import { startRealtime } from './peers.mjs'

const require = createRequire(import.meta.url)
const relay = require('../relay.js')

const root = makeWorkspace()
writeFileSync(join(root, 'backend', 'todo.txt'), 'wip\n')
const tools = new relay.Tools({ workspace: relay.Workspace.open(root) })
const peers = []
after(() => Promise.all(peers.map((p) => p.stop())))

/** Reads events from `iterator` until one matches `until`; returns them all. */
async function readUntil(iterator, until) {
  const events = []
  for (;;) {
    const { value, done } = await iterator.next()
    if (done) throw new Error(`the session ended first: ${JSON.stringify(events.map((e) => e.type))}`)
    events.push(value)
    if (until(value)) return events
  }
}

test('text transport: typed requests run the real tools and the reply says what they found', async () => {
  const session = await relay.VoiceSession.start(tools, { transport: 'text' })
  assert.equal(session.transport, 'text')
  const events = session[Symbol.asyncIterator]()

  session.sendText('status please')
  const first = await readUntil(events, (e) => e.type === 'assistant_text')
  assert.equal(first[0].type, 'session_started')
  assert.deepEqual(first.find((e) => e.type === 'user_transcript').text, 'status please')
  const finished = first.find((e) => e.type === 'tool_call_finished')
  assert.equal(finished.name, 'project_status')
  assert.equal(finished.ok, true)
  assert.equal(JSON.parse(finished.output).repositories[1].untracked, 1)
  const reply = first.at(-1).text
  assert.match(reply, /^3 repositories: 1 with uncommitted changes/)
  assert.match(reply, /- backend on main, no upstream, 1 changed path\(s\)/)

  session.sendText('/impact_analysis {"repos": [1]}')
  const bad = await readUntil(events, (e) => e.type === 'assistant_text')
  assert.equal(bad.find((e) => e.type === 'tool_call_finished').ok, false)
  assert.match(bad.at(-1).text, /`repos\[0\]`: expected string, got integer/)

  // Audio means nothing to the text transport: an error event says so, the session goes on.
  session.sendAudio(Buffer.alloc(10))
  const audioError = await readUntil(events, (e) => e.type === 'error')
  assert.equal(audioError.at(-1).code, 'audio_not_supported')

  session.close()
  const rest = []
  for (;;) {
    const { value, done } = await events.next()
    if (done) break
    rest.push(value)
  }
  assert.equal(rest.at(-1).type, 'closed')
  assert.equal(session.metrics().tool_calls, 2)
  assert.throws(() => session.sendText('still there?'), (err) => err.kind === 'voice' && typeof err.code === 'string')
})

test('realtime: the model calls a tool, receives its real output, and speaks', async () => {
  const realtime = await startRealtime({
    api_key: 'sk-voice-test',
    turns: [{ kind: 'call', calls: [{ name: 'project_status', arguments: '{"repos": ["backend"]}' }] }],
  })
  peers.push(realtime)
  const session = await relay.VoiceSession.start(tools, { url: realtime.url, apiKey: 'sk-voice-test', instructions: 'Be brief.' })
  assert.equal(session.transport, 'openai-realtime')
  session.sendText('how is backend doing?')

  const events = []
  let reply
  for await (const event of session) {
    events.push(event)
    if (event.type === 'assistant_text') {
      reply = event
      break
    }
  }
  assert.equal(events[0].type, 'session_started')
  const call = events.find((e) => e.type === 'tool_call_started')
  assert.deepEqual([call.name, call.arguments], ['project_status', '{"repos": ["backend"]}'])
  const finished = events.find((e) => e.type === 'tool_call_finished')
  assert.equal(finished.ok, true)
  assert.equal(JSON.parse(finished.output).summary, '1 repository: 1 with uncommitted changes, 0 behind upstream.')
  // The fake model echoes the tool output it was given: exactly what Relay sent.
  assert.equal(reply.text, `Results: ${finished.output}`)
  const audio = events.filter((e) => e.type === 'assistant_audio')
  assert.ok(audio.length > 0 && audio.every((e) => Buffer.isBuffer(e.audio) && e.audio.length > 0))

  // The user heard 100 ms of the reply; then speaks (PCM16 24 kHz).
  session.reportPlayback(reply.item_id, 100)
  session.sendAudio(Buffer.alloc(4800))
  const metrics = session.metrics()
  assert.equal(metrics.tool_calls, 1)
  assert.ok(metrics.audio_bytes_out >= audio.reduce((n, e) => n + e.audio.length, 0))
  session.close()
  const tail = []
  for await (const event of session) tail.push(event)
  assert.equal(tail.at(-1).type, 'closed')
  assert.equal(session.metrics().audio_bytes_in, 4800)
})

test('realtime: a wrong API key rejects start with kind voice', async () => {
  const realtime = await startRealtime({ api_key: 'sk-right' })
  peers.push(realtime)
  await assert.rejects(relay.VoiceSession.start(tools, { url: realtime.url, apiKey: 'sk-wrong' }), (err) => {
    assert.equal(err.kind, 'voice')
    assert.match(err.message, /401|API key/i)
    assert.ok(!err.message.includes('sk-wrong'), 'the key is never shown')
    return true
  })
})

test('bad options reject with code usage', async () => {
  await assert.rejects(relay.VoiceSession.start(tools, { transport: 'carrier-pigeon' }), {
    code: 'usage',
    message: /unknown voice transport `carrier-pigeon`/,
  })
  await assert.rejects(relay.VoiceSession.start(tools, { transport: 'text', audioFormat: 'mp3' }), {
    code: 'usage',
    message: /unknown audio format `mp3`/,
  })
  await assert.rejects(relay.VoiceSession.start(tools, { transport: 'text', configJson: '[1]' }), { code: 'usage' })
})
