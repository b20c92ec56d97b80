// The example voice server end to end, over protocol 1 of docs/serve.md (the frames of `relay
// serve`): a WebSocket client talks to it at /v1/conversation, it talks to the fake OpenAI
// Realtime server (relay-testkit realtime), and its tools run through Relay on a real workspace.
// The fake model echoes the tool outputs it received ("Results: ..."), so the transcript the
// client hears is exactly what the model was given.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import WebSocket from 'ws'

import { makeWorkspace } from '../../../../bindings/node/__test__/fixtures.mjs'
import { startRealtime } from '../../../../bindings/node/__test__/peers.mjs'
import { CONVERSATION_PATH, startVoiceServer } from '../server.mjs'

const relay = createRequire(import.meta.url)('../../../../bindings/node/relay.js')
const API_KEY = 'sk-test-voice-server'

/**
 * A client connection that keeps every frame in order: JSON frames as objects, binary frames as
 * `{ type: 'audio', bytes }`.
 */
async function connect(port, query = '') {
  const socket = new WebSocket(`ws://127.0.0.1:${port}${CONVERSATION_PATH}${query}`)
  const frames = []
  const waiters = []
  socket.on('message', (data, isBinary) => {
    frames.push(isBinary ? { type: 'audio', bytes: data.length } : JSON.parse(data.toString()))
    for (const w of waiters.splice(0)) w()
  })
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  return {
    socket,
    frames,
    messages: () => frames.filter((f) => f.type !== 'audio'),
    audioBytes: () => frames.filter((f) => f.type === 'audio').reduce((n, f) => n + f.bytes, 0),
    send: (message) => socket.send(JSON.stringify(message)),
    /** Waits for a frame matching `predicate` (from index `from`), failing after 15 s. */
    async next(predicate, from = 0) {
      const deadline = Date.now() + 15000
      for (;;) {
        const found = frames.slice(from).find(predicate)
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(frames)}`)
        await new Promise((r) => {
          waiters.push(r)
          setTimeout(r, 200)
        })
      }
    },
  }
}

/** The status and JSON body of a plain WebSocket upgrade request to `path` (a refused one). */
function upgrade(port, path) {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    })
    req.on('upgrade', () => reject(new Error(`${path} was upgraded`)))
    req.on('response', (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }))
    })
    req.on('error', reject)
    req.end()
  })
}

const workspace = makeWorkspace()
writeFileSync(join(workspace, 'backend', 'WIP.md'), 'uncommitted\n')

/** A fake Realtime server playing `turns` (then echoing) and a voice server in front of it. */
async function start(t, turns, apiKey = API_KEY, transcripts = []) {
  const realtime = await startRealtime({ api_key: API_KEY, turns, transcripts })
  const server = await startVoiceServer({ workspace, realtimeUrl: realtime.url, model: 'gpt-realtime', apiKey })
  t.after(async () => {
    await server.close()
    await realtime.stop()
  })
  return server
}

test('tool calls run through Relay and the model receives their real output', async (t) => {
  const server = await start(t, [
    {
      kind: 'call',
      calls: [
        { name: 'project_status', arguments: '{}' },
        { name: 'impact_analysis', arguments: '{"repos": ["shared-api"]}' },
      ],
    },
    // then (no turns left) the model echoes: "Results: <both outputs>"
  ])
  const client = await connect(server.port, '?protocol=1')
  // `ready` comes first, and the model's session advertises Relay's tools.
  const ready = await client.next((m) => m.type === 'ready')
  assert.equal(client.frames[0], ready)
  assert.equal(ready.protocol, 1)
  assert.match(ready.session_id, /^[0-9a-f-]{36}$/)
  assert.equal(ready.user, 'local')
  assert.equal(ready.role, 'owner')
  const relayTools = new relay.Tools({ workspace: relay.Workspace.open(workspace) }).specs().map((s) => s.name)
  assert.deepEqual(ready.tools, [...relayTools, 'server_time'].sort(), "Relay's tools and the server's own")
  assert.ok(ready.tools.includes('project_status') && ready.tools.includes('impact_analysis'), ready.tools.join())
  client.send({ type: 'text', text: 'how do things stand?' })
  const typed = await client.next((m) => m.type === 'user_transcript')
  assert.equal(typed.text, 'how do things stand?')
  assert.equal(typed.speaker, 'local')

  const started = await client.next((m) => m.type === 'tool_call_started' && m.name === 'project_status')
  assert.equal(started.arguments, '{}')
  assert.equal(started.speaker, 'local')
  const status = await client.next((m) => m.type === 'tool_call_finished' && m.name === 'project_status')
  assert.equal(status.call_id, started.call_id)
  assert.equal(status.ok, true)
  const value = JSON.parse(status.output)
  assert.equal(value.summary, '3 repositories: 1 with uncommitted changes, 0 behind upstream.')
  assert.deepEqual(value.repositories.map((r) => r.name), ['shared-api', 'backend', 'frontend'])
  assert.equal(value.repositories[1].untracked, 1)
  assert.match(value.repositories[0].line, /start shared-api/)

  const impact = await client.next((m) => m.type === 'tool_call_finished' && m.name === 'impact_analysis')
  assert.equal(impact.ok, true)
  assert.deepEqual(JSON.parse(impact.output).all_dependents, ['backend', 'frontend'])

  // The model's spoken reply quotes both outputs exactly as Relay produced them; its audio comes
  // as binary frames after `assistant_audio_started` names the item.
  const reply = await client.next((m) => m.type === 'assistant_text')
  assert.equal(reply.text, `Results: ${status.output}; ${impact.output}`)
  const audioStart = client.frames.findIndex((f) => f.type === 'assistant_audio_started' && f.item_id === reply.item_id)
  assert.ok(audioStart >= 0, JSON.stringify(client.messages()))
  assert.equal(client.frames[audioStart + 1].type, 'audio')
  assert.ok(client.audioBytes() > 0, 'the model audio reached the client')
  const done = await client.next((m) => m.type === 'response_done' && m.status === 'completed', audioStart)
  assert.equal(done.out_of_band, false)
  assert.equal(typeof done.usage.total_tokens, 'number')
  client.socket.close()
})

test("the server's own JavaScript tool is called like Relay's", async (t) => {
  const server = await start(t, [{ kind: 'call', calls: [{ name: 'server_time', arguments: '{}' }] }])
  const client = await connect(server.port)
  const before = Date.now()
  client.send({ type: 'text', text: 'what time is it?' })
  const time = await client.next((m) => m.type === 'tool_call_finished')
  assert.equal(time.name, 'server_time')
  assert.equal(time.ok, true)
  const { now } = JSON.parse(time.output)
  assert.match(now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.ok(Date.parse(now) >= before && Date.parse(now) <= Date.now(), now)
  const reply = await client.next((m) => m.type === 'assistant_text')
  assert.equal(reply.text, `Results: ${time.output}`)
  client.socket.close()
})

test('bad arguments are refused by Relay and the model hears why', async (t) => {
  const server = await start(t, [{ kind: 'call', calls: [{ name: 'impact_analysis', arguments: '{"repos": [1]}' }] }])
  const client = await connect(server.port)
  client.send({ type: 'text', text: 'what does repo one affect?' })
  const refused = await client.next((m) => m.type === 'tool_call_finished')
  assert.equal(refused.ok, false)
  assert.match(JSON.parse(refused.output).error, /`repos\[0\]`: expected string, got integer/)
  const reply = await client.next((m) => m.type === 'assistant_text')
  assert.equal(reply.text, `Results: ${refused.output}`)
  client.socket.close()
})

/** `ms` of PCM16 24 kHz mono: a loud 440 Hz tone, or silence. */
function pcm16(ms, loud) {
  const samples = (24000 * ms) / 1000
  const audio = Buffer.alloc(samples * 2)
  for (let i = 0; i < samples; i++) {
    audio.writeInt16LE(loud ? Math.round(12000 * Math.sin((2 * Math.PI * 440 * i) / 24000)) : 0, i * 2)
  }
  return audio
}

test('client audio reaches the model: its voice activity detection hears the user speak', async (t) => {
  const server = await start(t, [], API_KEY, ['how are the builds'])
  const client = await connect(server.port)
  for (let i = 0; i < 8; i++) client.socket.send(pcm16(100, true))
  for (let i = 0; i < 10; i++) client.socket.send(pcm16(100, false))
  await client.next((m) => m.type === 'user_speech_started')
  await client.next((m) => m.type === 'user_speech_stopped')
  const heard = await client.next((m) => m.type === 'user_transcript')
  assert.equal(heard.text, 'how are the builds')
  const reply = await client.next((m) => m.type === 'assistant_text')
  assert.equal(reply.text, 'You said: how are the builds')
  // 400 ms of reply audio: 19,200 bytes of PCM16 at 24 kHz.
  await client.next((m) => m.type === 'response_done')
  assert.equal(client.audioBytes(), 19200)
  client.socket.close()
})

test('push-to-talk: a commit ends the turn and the model answers it', async (t) => {
  const server = await start(t, [], API_KEY, ['deploy the backend'])
  const client = await connect(server.port)
  await client.next((m) => m.type === 'ready')
  // Speech without the trailing silence voice activity detection would need: the commit ends it.
  for (let i = 0; i < 3; i++) client.socket.send(pcm16(100, true))
  client.send({ type: 'commit' })
  assert.equal((await client.next((m) => m.type === 'user_transcript')).text, 'deploy the backend')
  assert.equal((await client.next((m) => m.type === 'assistant_text')).text, 'You said: deploy the backend')
  assert.equal(client.messages().filter((m) => m.type === 'error').length, 0, JSON.stringify(client.messages()))
  client.socket.close()
})

test('barge-in: the reply is cut exactly where the client says it stopped playing', async (t) => {
  // A long reply streamed in real time (100 ms of audio every 100 ms), so it is still playing
  // when the user speaks over it.
  const realtime = await startRealtime({
    api_key: API_KEY,
    turns: [{ kind: 'say', text: 'a very long answer', audio_ms: 5000 }],
    audio_chunk_ms: 100,
    chunk_interval_ms: 100,
  })
  const server = await startVoiceServer({ workspace, realtimeUrl: realtime.url, apiKey: API_KEY })
  t.after(async () => {
    await server.close()
    await realtime.stop()
  })
  const client = await connect(server.port)
  client.send({ type: 'text', text: 'tell me everything' })
  const started = await client.next((m) => m.type === 'assistant_audio_started')
  // 300 ms of it reached the client (4,800 bytes per 100 ms).
  await client.next(() => client.audioBytes() >= 3 * 4800)
  client.send({ type: 'playback', item_id: started.item_id, played_ms: 120 })
  client.send({ type: 'ping', id: 'after-playback' })
  await client.next((m) => m.type === 'pong' && m.id === 'after-playback')
  for (let i = 0; i < 3; i++) client.socket.send(pcm16(100, true))
  const cut = await client.next((m) => m.type === 'interrupted')
  assert.deepEqual(cut, { type: 'interrupted', item_id: started.item_id, audio_end_ms: 120 })
  const done = await client.next((m) => m.type === 'response_done')
  assert.equal(done.status, 'cancelled')
  // The truncation was valid: the Realtime server reported no error.
  assert.equal(client.messages().filter((m) => m.type === 'error').length, 0, JSON.stringify(client.messages()))
  client.socket.close()
})

test('ping is answered; malformed and unknown frames get an error and the conversation goes on', async (t) => {
  const server = await start(t, [])
  const client = await connect(server.port)
  client.send({ type: 'ping', id: 7 })
  assert.deepEqual(await client.next((m) => m.type === 'pong'), { type: 'pong', id: 7 })
  client.socket.send('not json')
  const malformed = await client.next((m) => m.type === 'error')
  assert.equal(malformed.code, 'bad_client_frame')
  assert.match(malformed.message, /one JSON object/)
  client.send({ type: 'dance' })
  const unknown = await client.next((m) => m.type === 'error' && m.message.includes('dance'))
  assert.equal(unknown.code, 'bad_client_frame')
  client.send({ type: 'text' })
  await client.next((m) => m.type === 'error' && /non-empty `text`/.test(m.message))
  client.send({ type: 'approval_answer', id: 'a1', decision: 'allow' })
  const approvals = await client.next((m) => m.type === 'error' && m.code === 'unsupported')
  assert.match(approvals.hint, /relay serve/)
  // Still talking.
  client.send({ type: 'text', text: 'still there?' })
  assert.equal((await client.next((m) => m.type === 'assistant_text')).text, 'You said: still there?')
  client.socket.close()
})

test('another protocol or another path is refused before any Realtime session starts', async (t) => {
  const server = await start(t, [])
  const wrongProtocol = await upgrade(server.port, `${CONVERSATION_PATH}?protocol=2`)
  assert.equal(wrongProtocol.status, 400)
  assert.match(wrongProtocol.body.error, /protocol 2/)
  assert.match(wrongProtocol.body.hint, /protocol 1/)
  const wrongPath = await upgrade(server.port, '/')
  assert.equal(wrongPath.status, 404)
  assert.match(wrongPath.body.hint, /\/v1\/conversation/)
})

test('a wrong API key reaches the client as an error, then closed, and its connection closes', async (t) => {
  const server = await start(t, [], 'sk-wrong')
  const client = await connect(server.port)
  const closed = new Promise((resolve) => client.socket.once('close', resolve))
  const error = await client.next((m) => m.type === 'error')
  assert.equal(error.code, 'realtime_unavailable')
  assert.match(error.message, /Realtime API: Unexpected server response: 401/)
  await closed
  assert.deepEqual(client.frames.at(-1), { type: 'closed', reason: 'the Realtime API could not be reached', by_application: false })
  assert.equal(client.frames.filter((f) => f.type === 'ready').length, 0)
})

test('the server refuses to start without an API key', async () => {
  const saved = process.env.OPENAI_API_KEY
  delete process.env.OPENAI_API_KEY
  try {
    await assert.rejects(startVoiceServer({ workspace, realtimeUrl: 'ws://127.0.0.1:9/v1/realtime' }), /set OPENAI_API_KEY/)
  } finally {
    if (saved !== undefined) process.env.OPENAI_API_KEY = saved
  }
})

test('push-to-talk mode and a press over the reply: detection off, one turn per commit, the cut exactly where the client stopped', async (t) => {
  const realtime = await startRealtime({
    api_key: API_KEY,
    turns: [{ kind: 'say', text: 'a very long answer', audio_ms: 5000 }],
    transcripts: ['tell me everything'],
    audio_chunk_ms: 100,
    chunk_interval_ms: 100,
  })
  const server = await startVoiceServer({ workspace, realtimeUrl: realtime.url, apiKey: API_KEY })
  t.after(async () => {
    await server.close()
    await realtime.stop()
  })
  const client = await connect(server.port)
  await client.next((m) => m.type === 'ready')
  client.send({ type: 'mode', mode: 'push_to_talk' })
  // Speech, a pause voice activity detection would end the turn on, speech: one turn.
  for (const loud of [true, true, true, false, false, false, false, false, false, false, false, true, true]) client.socket.send(pcm16(100, loud))
  client.send({ type: 'commit' })
  const started = await client.next((m) => m.type === 'assistant_audio_started')
  await client.next(() => client.audioBytes() >= 3 * 4800)
  client.send({ type: 'barge_in', item_id: started.item_id, played_ms: 140 })
  const cut = await client.next((m) => m.type === 'interrupted')
  assert.deepEqual(cut, { type: 'interrupted', item_id: started.item_id, audio_end_ms: 140 })
  assert.equal((await client.next((m) => m.type === 'response_done')).status, 'cancelled')
  const transcripts = client.messages().filter((m) => m.type === 'user_transcript')
  assert.deepEqual(transcripts.map((m) => m.text), ['tell me everything'])
  assert.equal(client.messages().filter((m) => m.type === 'user_speech_started').length, 0)
  assert.equal(client.messages().filter((m) => m.type === 'error').length, 0, JSON.stringify(client.messages()))
  client.send({ type: 'mode', mode: 'walkie' })
  assert.match((await client.next((m) => m.type === 'error')).message, /push_to_talk/)
  client.socket.close()
})
