// A Node WebSocket voice server that delegates its tools to Relay.
//
// Browsers or phones connect over WebSocket and send audio (binary frames: PCM16, 24 kHz, mono)
// or JSON messages ({ type: 'text', text }, { type: 'commit' }). For each client the server opens
// its own WebSocket to the OpenAI Realtime API, relays audio both ways, advertises Relay's tools
// in the session (plus one of its own, `server_time`, registered with `tools.register`) and runs
// every tool the model calls through Relay (`tools.invoke`), handing the output back to the model. The client receives the model's audio as binary frames and JSON
// messages: { type: 'ready', tools }, { type: 'user_transcript', text }, { type: 'transcript', text },
// { type: 'tool', name, ok, output }, { type: 'progress', name, message }, { type: 'error', message }.
//
//   OPENAI_API_KEY=... RELAY_WORKSPACE=/path/to/workspace PORT=8080 node server.mjs
//   (optional: OPENAI_REALTIME_URL, OPENAI_REALTIME_MODEL)
//
// Install: scripts/setup/node.sh (ws, pinned in package.json); build Relay's Node package with
// scripts/test-bindings.sh node.
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { WebSocket, WebSocketServer } from 'ws'

const require = createRequire(import.meta.url)
const relay = require('../../../bindings/node/relay.js') // `require('relay-sdk')` once installed

const INSTRUCTIONS =
  'You are a voice assistant for a team of developers working across several repositories. ' +
  'Use the tools to answer; keep spoken replies short.'

/**
 * Starts the server. Resolves with `{ port, close() }` once it listens.
 * `options`: { port = 0, workspace (path to relay.yaml or a directory), realtimeUrl, model, apiKey }.
 */
export async function startVoiceServer(options = {}) {
  const config = {
    realtimeUrl: options.realtimeUrl ?? process.env.OPENAI_REALTIME_URL ?? 'wss://api.openai.com/v1/realtime',
    model: options.model ?? process.env.OPENAI_REALTIME_MODEL ?? 'gpt-realtime',
    apiKey: options.apiKey ?? process.env.OPENAI_API_KEY,
  }
  if (!config.apiKey) throw new Error('set OPENAI_API_KEY (or pass apiKey) to reach the Realtime API')
  // All repository tools over the workspace; Relay validates arguments and checks permissions.
  const tools = new relay.Tools({ workspace: relay.Workspace.open(options.workspace) })
  // The server's own tool, next to Relay's: the model calls both the same way.
  tools.register(
    { name: 'server_time', description: 'The current date and time on the voice server (ISO 8601, UTC).' },
    () => ({ now: new Date().toISOString() }),
  )

  const server = new WebSocketServer({ port: options.port ?? 0 })
  server.on('connection', (client) => bridge(client, tools, config))
  await new Promise((resolve) => server.once('listening', resolve))
  return {
    port: server.address().port,
    close: () => {
      for (const client of server.clients) client.terminate()
      return new Promise((resolve) => server.close(resolve))
    },
  }
}

/** Connects one client to its own Realtime session. */
function bridge(client, tools, { realtimeUrl, model, apiKey }) {
  const url = `${realtimeUrl}?model=${encodeURIComponent(model)}`
  const upstream = new WebSocket(url, { headers: { Authorization: `Bearer ${apiKey}` } })
  const toModel = (event) => upstream.send(JSON.stringify(event))
  const toClient = (message) => client.readyState === WebSocket.OPEN && client.send(message)
  const queued = [] // client frames that arrive before the upstream socket is open
  const toolRuns = [] // tool calls of the response in progress

  upstream.on('open', () => {
    toModel({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: INSTRUCTIONS,
        tools: tools.realtimeTools(), // Relay's tools, in the Realtime function-tool format
        tool_choice: 'auto',
        audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' } } },
      },
    })
    for (const frame of queued.splice(0)) fromClient(frame)
  })

  client.on('message', (data, isBinary) => {
    const frame = { data, isBinary }
    if (upstream.readyState === WebSocket.OPEN) fromClient(frame)
    else queued.push(frame)
  })

  function fromClient({ data, isBinary }) {
    if (isBinary) return toModel({ type: 'input_audio_buffer.append', audio: Buffer.from(data).toString('base64') })
    let message
    try {
      message = JSON.parse(data.toString())
    } catch {
      return toClient(JSON.stringify({ type: 'error', message: 'send JSON messages or binary PCM16 audio' }))
    }
    if (message.type === 'text') {
      toModel({
        type: 'conversation.item.create',
        item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: message.text }] },
      })
      toModel({ type: 'response.create' })
    } else if (message.type === 'commit') {
      toModel({ type: 'input_audio_buffer.commit' })
      toModel({ type: 'response.create' })
    }
  }

  upstream.on('message', async (data) => {
    const event = JSON.parse(data.toString())
    switch (event.type) {
      case 'session.updated':
        toClient(JSON.stringify({ type: 'ready', tools: event.session.tools.map((tool) => tool.name) }))
        break
      case 'conversation.item.input_audio_transcription.completed':
        toClient(JSON.stringify({ type: 'user_transcript', text: event.transcript }))
        break
      case 'response.output_audio.delta':
        toClient(Buffer.from(event.delta, 'base64'))
        break
      case 'response.output_audio_transcript.done':
        toClient(JSON.stringify({ type: 'transcript', text: event.transcript }))
        break
      case 'response.output_text.done':
        toClient(JSON.stringify({ type: 'transcript', text: event.text }))
        break
      case 'response.function_call_arguments.done':
        toolRuns.push(runTool(event))
        break
      case 'response.done': {
        // One response may call several tools: answer them all, then let the model speak.
        if (toolRuns.length === 0) break
        const outputs = await Promise.all(toolRuns.splice(0))
        for (const { callId, output } of outputs) {
          toModel({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } })
        }
        toModel({ type: 'response.create' })
        break
      }
      case 'error':
        toClient(JSON.stringify({ type: 'error', message: event.error?.message ?? 'Realtime API error' }))
        break
    }
  })

  /** Runs one tool call through Relay, streaming its progress to the client. */
  async function runTool({ call_id: callId, name, arguments: args }) {
    const job = tools.invoke(name, args)
    for await (const event of job) {
      if (event.type === 'progress' && event.message) toClient(JSON.stringify({ type: 'progress', name, message: event.message }))
    }
    let result
    try {
      result = await job.wait() // { ok, value }; bad arguments are { ok: false, value: { error, hint } }
    } catch (err) {
      result = { ok: false, value: { error: err.message, code: err.code } }
    }
    const output = JSON.stringify(result.value)
    toClient(JSON.stringify({ type: 'tool', name, ok: result.ok, output }))
    return { callId, output }
  }

  upstream.on('close', () => client.close())
  upstream.on('error', (err) => {
    toClient(JSON.stringify({ type: 'error', message: `Realtime API: ${err.message}` }))
    client.close()
  })
  client.on('close', () => upstream.close())
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startVoiceServer({ port: Number(process.env.PORT ?? 8080), workspace: process.env.RELAY_WORKSPACE })
  console.log(`voice server listening on ws://localhost:${server.port}`)
}
