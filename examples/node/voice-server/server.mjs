// A Node WebSocket voice server that delegates its tools to Relay, speaking protocol 1 of
// docs/serve.md (the protocol of `relay serve`), so the same page and clients talk to either.
//
// Clients connect a WebSocket to `/v1/conversation` (optionally `?protocol=1`; another protocol
// is refused with 400 and a JSON {error, hint}). Binary frames carry audio both ways (PCM16,
// 24 kHz, mono); text frames carry one JSON object each:
//   client → server: { type: 'text', text }, { type: 'commit' }, { type: 'playback', item_id,
//     played_ms }, { type: 'mode', mode: 'push_to_talk' | 'hands_free' }, { type: 'barge_in',
//     item_id?, played_ms? }, { type: 'ping', id }
//   server → client: 'ready' first, then 'user_speech_started' / 'user_speech_stopped',
//     'user_transcript', 'assistant_audio_started' (then the item's audio as binary frames),
//     'assistant_text_delta' / 'assistant_text', 'tool_call_started' / 'tool_progress' /
//     'tool_call_finished', 'interrupted', 'response_done', 'pong', 'error' and, last, 'closed'.
// For each conversation the server opens its own WebSocket to the OpenAI Realtime API, relays
// audio both ways, advertises Relay's tools in the session (plus one of its own, `server_time`,
// registered with `tools.register`) and runs every tool the model calls through Relay
// (`tools.invoke`), handing the output back to the model. Approvals, invites and stored
// sessions are `relay serve`'s: this example answers those frames with an `error`.
//
//   OPENAI_API_KEY=... RELAY_WORKSPACE=/path/to/workspace PORT=8080 node server.mjs
//   (optional: OPENAI_REALTIME_URL, OPENAI_REALTIME_MODEL)
//
// Install: scripts/setup/node.sh (ws, pinned in package.json); build Relay's Node package with
// scripts/test-bindings.sh node.
import { createServer } from 'node:http'
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { WebSocket, WebSocketServer } from 'ws'

const require = createRequire(import.meta.url)
const relay = require('../../../bindings/node/relay.js') // `require('relay-sdk')` once installed

/** The protocol this server speaks (docs/serve.md). */
export const PROTOCOL = 1
/** The conversation endpoint. */
export const CONVERSATION_PATH = '/v1/conversation'
/** Without users, everyone is the local developer, owner of their own conversation. */
const USER = 'local'

const INSTRUCTIONS =
  'You are a voice assistant for a team of developers working across several repositories. ' +
  'Use the tools to answer; keep spoken replies short.'

/**
 * Starts the server. Resolves with `{ port, close() }` once it listens.
 * `options`: { port = 0, host = '127.0.0.1', workspace (path to relay.yaml or a directory),
 * realtimeUrl, model, apiKey }.
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

  const sockets = new WebSocketServer({ noServer: true })
  const http = createServer((req, res) =>
    refuse(res, 404, `nothing at ${req.url}`, `connect a WebSocket to ${CONVERSATION_PATH}`),
  )
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://localhost')
    if (url.pathname !== CONVERSATION_PATH) {
      return refuseUpgrade(socket, 404, `nothing at ${url.pathname}`, `connect to ${CONVERSATION_PATH}`)
    }
    const protocol = url.searchParams.get('protocol') ?? String(PROTOCOL)
    if (protocol !== String(PROTOCOL)) {
      return refuseUpgrade(socket, 400, `protocol ${protocol} is not spoken here`, `this server speaks protocol ${PROTOCOL} (docs/serve.md)`)
    }
    sockets.handleUpgrade(req, socket, head, (client) => bridge(client, tools, config))
  })
  await new Promise((resolve, reject) => {
    http.once('error', reject)
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve)
  })
  return {
    port: http.address().port,
    close: () => {
      for (const client of sockets.clients) client.terminate()
      return new Promise((resolve) => http.close(resolve))
    },
  }
}

function refuse(res, status, error, hint) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ error, hint }))
}

function refuseUpgrade(socket, status, error, hint) {
  const body = JSON.stringify({ error, hint })
  const reason = status === 400 ? 'Bad Request' : 'Not Found'
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  )
}

/** Connects one conversation to its own Realtime session. */
function bridge(client, tools, { realtimeUrl, model, apiKey }) {
  const url = `${realtimeUrl}?model=${encodeURIComponent(model)}`
  const upstream = new WebSocket(url, { headers: { Authorization: `Bearer ${apiKey}` } })
  const toModel = (event) => upstream.readyState === WebSocket.OPEN && upstream.send(JSON.stringify(event))
  const toClient = (frame) => client.readyState === WebSocket.OPEN && client.send(frame)
  const send = (frame) => toClient(JSON.stringify(frame))
  const queued = [] // client frames that arrive before the upstream socket is open
  const toolRuns = [] // tool calls of the response in progress
  const sessionId = randomUUID()
  let ready = false
  let closed = false
  let userItems = 0
  // The assistant item whose audio is being sent, its length so far and what the client played.
  let audio = null // { itemId, sentMs, playedMs }
  let responding = false // a response is being generated

  /** Sends `closed` (once) and closes the client socket. */
  function close(reason) {
    if (closed) return
    closed = true
    send({ type: 'closed', reason, by_application: false })
    client.close()
  }

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

  function badFrame(message) {
    send({ type: 'error', code: 'bad_client_frame', message, hint: 'see docs/serve.md, protocol 1' })
  }

  function fromClient({ data, isBinary }) {
    if (isBinary) return toModel({ type: 'input_audio_buffer.append', audio: Buffer.from(data).toString('base64') })
    let message
    try {
      message = JSON.parse(data.toString())
    } catch {
      return badFrame('a text frame must hold one JSON object; audio goes in binary frames (PCM16, 24 kHz, mono)')
    }
    switch (message?.type) {
      case 'text': {
        if (typeof message.text !== 'string' || !message.text) return badFrame('`text` needs a non-empty `text`')
        const itemId = `node_user_${++userItems}`
        toModel({
          type: 'conversation.item.create',
          item: { id: itemId, type: 'message', role: 'user', content: [{ type: 'input_text', text: message.text }] },
        })
        toModel({ type: 'response.create' })
        send({ type: 'user_transcript', item_id: itemId, text: message.text, speaker: USER })
        break
      }
      case 'commit':
        toModel({ type: 'input_audio_buffer.commit' })
        toModel({ type: 'response.create' })
        break
      case 'playback':
        if (audio && message.item_id === audio.itemId && Number.isFinite(message.played_ms)) {
          audio.playedMs = Math.max(0, Math.floor(message.played_ms))
        }
        break
      case 'mode':
        if (message.mode !== 'push_to_talk' && message.mode !== 'hands_free') return badFrame('`mode` is `push_to_talk` or `hands_free`')
        // Push-to-talk: the model's own turn detection off, so only `commit` ends a turn.
        toModel({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: message.mode === 'push_to_talk' ? null : { type: 'server_vad' } } } } })
        break
      case 'barge_in':
        // The client knows first that the user talks over the reply (a push-to-talk press).
        if (audio && message.item_id === audio.itemId && Number.isFinite(message.played_ms)) {
          audio.playedMs = Math.max(0, Math.floor(message.played_ms))
        }
        if (responding) toModel({ type: 'response.cancel' })
        bargeIn()
        break
      case 'ping':
        send({ type: 'pong', id: message.id ?? null })
        break
      case 'approval_answer':
      case 'invite':
        send({
          type: 'error',
          code: 'unsupported',
          message: `this example server has no ${message.type === 'invite' ? 'shared sessions' : 'approvals'}`,
          hint: 'use `relay serve` for approvals and shared sessions',
        })
        break
      default:
        badFrame(`unknown frame type ${JSON.stringify(message?.type ?? null)}`)
    }
  }

  /** The user spoke over the reply: cut the item at what the client reported it played. */
  function bargeIn() {
    if (!audio || audio.playedMs === undefined || audio.playedMs >= audio.sentMs) return
    const { itemId, playedMs } = audio
    toModel({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: playedMs })
    send({ type: 'interrupted', item_id: itemId, audio_end_ms: playedMs })
    audio = null
  }

  upstream.on('message', async (data) => {
    let event
    try {
      event = JSON.parse(data.toString())
    } catch {
      return send({ type: 'error', code: 'malformed_server_event', message: 'the Realtime API sent a frame that is not JSON' })
    }
    switch (event.type) {
      case 'session.updated':
        if (ready) break
        ready = true
        send({
          type: 'ready',
          protocol: PROTOCOL,
          session_id: sessionId,
          user: USER,
          role: 'owner',
          owner: USER,
          participants: [{ user: USER, role: 'owner' }],
          tools: event.session.tools.map((tool) => tool.name),
        })
        break
      case 'input_audio_buffer.speech_started':
        bargeIn()
        send({ type: 'user_speech_started', audio_start_ms: event.audio_start_ms })
        break
      case 'input_audio_buffer.speech_stopped':
        send({ type: 'user_speech_stopped', audio_end_ms: event.audio_end_ms })
        break
      case 'conversation.item.input_audio_transcription.completed':
        send({ type: 'user_transcript', item_id: event.item_id, text: event.transcript, speaker: USER })
        break
      case 'response.output_audio.delta': {
        const bytes = Buffer.from(event.delta, 'base64')
        if (audio?.itemId !== event.item_id) {
          audio = { itemId: event.item_id, sentMs: 0, playedMs: undefined }
          send({ type: 'assistant_audio_started', item_id: event.item_id })
        }
        audio.sentMs += bytes.length / 48 // PCM16 at 24 kHz: 48 bytes per ms
        toClient(bytes)
        break
      }
      case 'response.output_audio_transcript.delta':
      case 'response.output_text.delta':
        send({ type: 'assistant_text_delta', item_id: event.item_id, delta: event.delta })
        break
      case 'response.output_audio_transcript.done':
        send({ type: 'assistant_text', item_id: event.item_id, text: event.transcript })
        break
      case 'response.output_text.done':
        send({ type: 'assistant_text', item_id: event.item_id, text: event.text })
        break
      case 'response.function_call_arguments.done':
        send({ type: 'tool_call_started', call_id: event.call_id, name: event.name, arguments: event.arguments, speaker: USER })
        toolRuns.push(runTool(event))
        break
      case 'response.created':
        responding = true
        break
      case 'response.done': {
        responding = false
        const { id, status, usage } = event.response
        send({
          type: 'response_done',
          response_id: id,
          status,
          usage: {
            input_tokens: usage?.input_tokens ?? 0,
            output_tokens: usage?.output_tokens ?? 0,
            total_tokens: usage?.total_tokens ?? 0,
          },
          out_of_band: false,
        })
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
        send({
          type: 'error',
          code: event.error?.code ?? event.error?.type ?? 'realtime_error',
          message: event.error?.message ?? 'Realtime API error',
        })
        break
    }
  })

  /** Runs one tool call through Relay, streaming its progress to the client. */
  async function runTool({ call_id: callId, name, arguments: args }) {
    const job = tools.invoke(name, args)
    for await (const event of job) {
      if (event.type === 'progress' && event.message) {
        const { message, done = null, total = null, repo = null } = event
        send({ type: 'tool_progress', call_id: callId, name, message, done, total, repo })
      }
    }
    let result
    try {
      result = await job.wait() // { ok, value }; bad arguments are { ok: false, value: { error, hint } }
    } catch (err) {
      result = { ok: false, value: { error: err.message, code: err.code } }
    }
    const output = JSON.stringify(result.value)
    send({ type: 'tool_call_finished', call_id: callId, name, ok: result.ok, output })
    return { callId, output }
  }

  upstream.on('close', () => close('the Realtime session ended'))
  upstream.on('error', (err) => {
    send({
      type: 'error',
      code: 'realtime_unavailable',
      message: `Realtime API: ${err.message}`,
      hint: 'check OPENAI_REALTIME_URL and OPENAI_API_KEY, then reconnect',
    })
    close('the Realtime API could not be reached')
  })
  client.on('close', () => {
    closed = true
    upstream.close()
  })
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startVoiceServer({
    port: Number(process.env.PORT ?? 8080),
    host: process.env.HOST,
    workspace: process.env.RELAY_WORKSPACE,
  })
  console.log(`voice server listening on ws://${process.env.HOST ?? '127.0.0.1'}:${server.port}${CONVERSATION_PATH}`)
}
