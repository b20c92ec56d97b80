// The example voice server end to end: a WebSocket client talks to it, it talks to the fake
// OpenAI Realtime server (relay-testkit realtime), and its tools run through Relay on a real
// workspace. The fake model echoes the tool outputs it received ("Results: ..."), so the
// transcript the client hears is exactly what the model was given.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import WebSocket from 'ws'

import { makeWorkspace } from '../../../../bindings/node/__test__/fixtures.mjs'
import { startRealtime } from '../../../../bindings/node/__test__/peers.mjs'
import { startVoiceServer } from '../server.mjs'

const relay = createRequire(import.meta.url)('../../../../bindings/node/relay.js')
const API_KEY = 'sk-test-voice-server'

/** A client connection that collects text messages and counts audio bytes. */
async function connect(port) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`)
  const messages = []
  let audioBytes = 0
  const waiters = []
  socket.on('message', (data, isBinary) => {
    if (isBinary) audioBytes += data.length
    else messages.push(JSON.parse(data.toString()))
    for (const w of waiters.splice(0)) w()
  })
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  return {
    socket,
    messages,
    audioBytes: () => audioBytes,
    send: (message) => socket.send(JSON.stringify(message)),
    /** Waits for a message matching `predicate` (from index `from`), failing after 15 s. */
    async next(predicate, from = 0) {
      const deadline = Date.now() + 15000
      for (;;) {
        const found = messages.slice(from).find(predicate)
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(messages)}`)
        await new Promise((r) => {
          waiters.push(r)
          setTimeout(r, 200)
        })
      }
    },
  }
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
  const client = await connect(server.port)
  // The model's session advertises Relay's tools.
  const ready = await client.next((m) => m.type === 'ready')
  const relayTools = new relay.Tools({ workspace: relay.Workspace.open(workspace) }).specs().map((s) => s.name)
  assert.deepEqual(ready.tools, [...relayTools, 'server_time'].sort(), "Relay's tools and the server's own")
  assert.ok(ready.tools.includes('project_status') && ready.tools.includes('impact_analysis'), ready.tools.join())
  client.send({ type: 'text', text: 'how do things stand?' })

  const status = await client.next((m) => m.type === 'tool' && m.name === 'project_status')
  assert.equal(status.ok, true)
  const value = JSON.parse(status.output)
  assert.equal(value.summary, '3 repositories: 1 with uncommitted changes, 0 behind upstream.')
  assert.deepEqual(value.repositories.map((r) => r.name), ['shared-api', 'backend', 'frontend'])
  assert.equal(value.repositories[1].untracked, 1)
  assert.match(value.repositories[0].line, /start shared-api/)

  const impact = await client.next((m) => m.type === 'tool' && m.name === 'impact_analysis')
  assert.equal(impact.ok, true)
  assert.deepEqual(JSON.parse(impact.output).all_dependents, ['backend', 'frontend'])

  // The model's spoken reply quotes both outputs exactly as Relay produced them.
  const reply = await client.next((m) => m.type === 'transcript')
  assert.equal(reply.text, `Results: ${status.output}; ${impact.output}`)
  assert.ok(client.audioBytes() > 0, 'the model audio reached the client')
  client.socket.close()
})

test("the server's own JavaScript tool is called like Relay's", async (t) => {
  const server = await start(t, [{ kind: 'call', calls: [{ name: 'server_time', arguments: '{}' }] }])
  const client = await connect(server.port)
  const before = Date.now()
  client.send({ type: 'text', text: 'what time is it?' })
  const time = await client.next((m) => m.type === 'tool')
  assert.equal(time.name, 'server_time')
  assert.equal(time.ok, true)
  const { now } = JSON.parse(time.output)
  assert.match(now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  assert.ok(Date.parse(now) >= before && Date.parse(now) <= Date.now(), now)
  const reply = await client.next((m) => m.type === 'transcript')
  assert.equal(reply.text, `Results: ${time.output}`)
  client.socket.close()
})

test('bad arguments are refused by Relay and the model hears why', async (t) => {
  const server = await start(t, [{ kind: 'call', calls: [{ name: 'impact_analysis', arguments: '{"repos": [1]}' }] }])
  const client = await connect(server.port)
  client.send({ type: 'text', text: 'what does repo one affect?' })
  const refused = await client.next((m) => m.type === 'tool')
  assert.equal(refused.ok, false)
  assert.match(JSON.parse(refused.output).error, /`repos\[0\]`: expected string, got integer/)
  const reply = await client.next((m) => m.type === 'transcript')
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
  assert.equal((await client.next((m) => m.type === 'user_transcript')).text, 'how are the builds')
  const reply = await client.next((m) => m.type === 'transcript')
  assert.equal(reply.text, 'You said: how are the builds')
  assert.ok(client.audioBytes() > 0)
  client.socket.close()
})

test('a wrong API key reaches the client as an error and closes its connection', async (t) => {
  const server = await start(t, [], 'sk-wrong')
  const client = await connect(server.port)
  const closed = new Promise((resolve) => client.socket.once('close', resolve))
  const error = await client.next((m) => m.type === 'error')
  assert.match(error.message, /Realtime API: Unexpected server response: 401/)
  await closed
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
