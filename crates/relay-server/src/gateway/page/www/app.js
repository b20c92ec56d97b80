// The page: wires the conversation socket, the microphone, reply playback and the view.
import { Microphone } from './audio.js'
import { Connection, probe, signIn } from './connection.js'
import { audioPlayed, audioSent, frameReceived, metrics, now, turnEnded } from './metrics.js'
import { Player } from './player.js'
import * as view from './view.js'

/** Level (RMS, 0–1) above which a microphone frame counts as voice. */
const VOICE_LEVEL = 0.02

const pageParams = new URLSearchParams(location.search)
const state = {
  params: { session: pageParams.get('session'), join: pageParams.get('join') },
  mode: localStorage.getItem('relay.mode') === 'push' ? 'push' : 'hands-free',
  connection: null,
  me: null,
  sending: false, // microphone frames go to the server
  voicedSinceTurn: false,
  reported: new Set(), // items whose playback was reported
  retries: 0,
}
window.relayMetrics = metrics

// Web Audio: one context for capture and playback, resumed on the first gesture (autoplay rules).
const context = new AudioContext({ latencyHint: 'interactive' })
const player = new Player(context, { onStarted: audioPlayed })
const microphone = new Microphone(context, onMicFrame)
document.addEventListener('pointerdown', () => context.resume(), { capture: true })
document.addEventListener('keydown', () => context.resume(), { capture: true })

// ---- the conversation -------------------------------------------------------------------------

async function connect() {
  view.setStatus('connecting…', 'connecting')
  const answer = await probe()
  if (answer.state === 'signin') return view.showSignIn(answer.message ? `Sign in to continue (${answer.message}).` : null)
  if (answer.state === 'forbidden' || answer.state === 'limited' || answer.state === 'unreachable') {
    view.setStatus('not connected', 'failed')
    view.error({ code: answer.state, message: answer.message || 'the server refused this page' })
    return scheduleRetry(answer.state !== 'forbidden')
  }
  view.hideSignIn()
  const connection = new Connection(state.params, { onOpen, onFrame, onAudio, onClose })
  state.connection = connection
  connection.open()
}

function onOpen() {
  metrics.connectedAt = now()
  view.setStatus('connected', 'connected')
}

function onClose({ code, opened, closedByServer }) {
  state.connection = null
  player.stop()
  if (closedByServer && state.resumable) {
    // The server shut down and handed the conversation back: resume it (`?session=`), on this
    // server when it is back or on whichever one the address now leads to.
    state.resumable = false
    view.setStatus('the server restarted; resuming…', 'reconnecting')
    return scheduleRetry(true)
  }
  if (closedByServer) {
    view.setStatus('conversation ended', 'closed')
    document.querySelector('[data-testid="reconnect"]').hidden = false
    return
  }
  view.setStatus(opened ? `connection lost (${code}); reconnecting…` : 'cannot connect; retrying…', 'reconnecting')
  // A refused upgrade may mean the sign-in expired: probe tells.
  scheduleRetry(true)
}

function scheduleRetry(retry) {
  if (!retry) return
  const delay = Math.min(10000, 500 * 2 ** state.retries++)
  setTimeout(connect, delay)
}

function send(frame) {
  return state.connection?.send(frame) ?? false
}

function onAudio(bytes) {
  metrics.received.bytes += bytes.byteLength
  const before = player.droppedBytes
  player.push(bytes)
  metrics.received.droppedBytes += player.droppedBytes - before
}

const handlers = {
  ready(frame) {
    state.retries = 0
    state.me = frame.user ?? null
    metrics.readyAt = now()
    metrics.sessionId = frame.session_id
    // Reconnects resume this session.
    state.params = { session: frame.session_id }
    view.showSession(frame)
    // The server detects turns unless told otherwise: in push-to-talk the release ends them.
    if (state.mode === 'push') sendMode()
  },
  session_started() {},
  user_speech_started() {
    bargeIn('user_speech_started')
    view.setTalk({ on: microphone.on, mode: state.mode, speaking: true })
  },
  user_speech_stopped() {
    state.voicedSinceTurn = false
    turnEnded('vad')
    view.setTalk({ on: microphone.on, mode: state.mode, speaking: false })
  },
  user_transcript({ item_id, text, speaker }) {
    view.utterance({ role: 'user', speaker: speaker ?? (state.me ? state.me : 'You'), itemId: item_id, text })
  },
  assistant_audio_started({ item_id }) {
    player.begin(item_id)
    metrics.items[item_id] = { ...(metrics.items[item_id] ?? {}), startedAt: now() }
  },
  assistant_text_delta({ item_id, delta }) {
    view.assistantDelta(item_id, delta)
  },
  assistant_text({ item_id, text }) {
    view.assistantDone(item_id, text)
  },
  interrupted({ item_id, audio_end_ms }) {
    // The server cut the reply (its own barge-in): stop what is still queued here.
    bargeIn('interrupted')
    view.interrupted(item_id, audio_end_ms)
  },
  tool_call_started: view.toolStarted,
  tool_progress: view.toolProgress,
  tool_call_finished: view.toolFinished,
  approval_requested({ request }) {
    view.approvalRequested(request, answerApproval, state.me)
  },
  approval_resolved({ id, answer }) {
    view.approvalResolved(id, answer)
  },
  notification({ text }) {
    view.utterance({ role: 'notification', text })
  },
  briefing({ briefing }) {
    view.briefing(briefing)
  },
  participant_joined({ user, role }) {
    addParticipant(user, role)
    view.utterance({ role: 'system', text: `${user} joined${role ? ` as ${role}` : ''}` })
  },
  participant_left({ user }) {
    view.setParticipants(participants().filter((p) => p.user !== user))
    view.utterance({ role: 'system', text: `${user} left` })
  },
  invite: view.showInvite,
  reconnecting({ attempt }) {
    view.setStatus(`reconnecting to the model (attempt ${attempt})…`, 'reconnecting')
  },
  reconnected() {
    view.setStatus('connected', 'connected')
  },
  warning({ message }) {
    view.error({ code: 'warning', message })
  },
  error(frame) {
    metrics.errors.push({ code: frame.code, message: frame.message, at: now() })
    view.error(frame)
  },
  closed({ reason, resumable, handed_back: handedBack }) {
    const lost = (handedBack ?? []).map((h) => (h.kind === 'tool_call' ? `${h.name} was ${h.outcome}` : `the reply was ${h.outcome}`))
    view.utterance({ role: 'system', text: `Conversation ended: ${reason}${lost.length ? ` (${lost.join('; ')})` : ''}` })
    state.resumable = Boolean(resumable)
  },
}

function onFrame(frame) {
  frameReceived(frame.type, frame)
  handlers[frame.type]?.(frame)
}

function participants() {
  return [...document.querySelectorAll('[data-testid="participants"] li')].map((li) => ({ user: li.dataset.user, role: li.textContent.match(/\((.*)\)$/)?.[1] }))
}

function addParticipant(user, role) {
  const list = participants().filter((p) => p.user !== user)
  list.push({ user, role })
  view.setParticipants(list)
}

function answerApproval(id, decision) {
  metrics.approvalAnswers.push({ id, decision, at: now() })
  send({ type: 'approval_answer', id, decision })
}

// ---- barge-in ---------------------------------------------------------------------------------

/** Stops reply playback now and tells the server exactly how much of the item was heard. */
function bargeIn(reason) {
  const played = player.stop()
  if (!played || state.reported.has(played.item_id)) return
  state.reported.add(played.item_id)
  metrics.playbackReports.push({ ...played, reason, at: now() })
  send({ type: 'playback', item_id: played.item_id, played_ms: played.played_ms })
}

/**
 * Push-to-talk pressed: the user talks over whatever plays. Stops it, and tells the server in one
 * frame exactly how much was heard and to cut there (and to cancel a reply still being made):
 * with the server's turn detection off, nothing else would tell it the user interrupted.
 */
function pushBargeIn() {
  const played = player.stop()
  const frame = { type: 'barge_in' }
  if (played && !state.reported.has(played.item_id)) {
    state.reported.add(played.item_id)
    metrics.playbackReports.push({ ...played, reason: 'push_to_talk', at: now() })
    Object.assign(frame, played)
  }
  send(frame)
}

/** Tells the server how turns end: `push_to_talk` (the release commits) or `hands_free`. */
function sendMode() {
  send({ type: 'mode', mode: state.mode === 'push' ? 'push_to_talk' : 'hands_free' })
}

// While reply audio plays, the page reports its position every PLAYBACK_REPORT_MS, and once more
// when the item has played to its end. When the server's voice detection hears the user start,
// the server carries the latest report forward by the time since it arrived (audio plays in real
// time), so the cut is where the user was when they started talking, not up to a report behind.
const PLAYBACK_REPORT_MS = 100
setInterval(() => {
  const item = player.item
  if (!item || item.cut) return
  const item_id = item.id
  const played_ms = Math.round(player.playedMs())
  if (played_ms === 0 || (item_id === state.lastReport?.item_id && played_ms === state.lastReport.played_ms)) return
  if (send({ type: 'playback', item_id, played_ms })) {
    state.lastReport = { item_id, played_ms }
    metrics.playbackUpdates.push({ item_id, played_ms, at: now() })
    if (metrics.playbackUpdates.length > 2000) metrics.playbackUpdates.splice(0, 1000)
  }
}, PLAYBACK_REPORT_MS)

// ---- the microphone ---------------------------------------------------------------------------

function onMicFrame({ pcm, level }) {
  if (!state.sending) return
  const voiced = level >= VOICE_LEVEL
  if (voiced) state.voicedSinceTurn = true
  if (state.connection?.sendAudio(pcm)) audioSent(pcm.byteLength, level, voiced)
}

async function micOn() {
  try {
    await context.resume()
    await microphone.start()
    return true
  } catch (error) {
    view.error({ code: 'microphone', message: error.message, hint: 'Allow this page to use the microphone, or type below.' })
    return false
  }
}

async function talkStart() {
  if (state.mode === 'push') pushBargeIn()
  if (!(await micOn())) return
  state.sending = true
  view.setTalk({ on: true, mode: state.mode })
}

async function talkStop() {
  if (!state.sending && !microphone.on) return
  await microphone.flush()
  state.sending = false
  // Push-to-talk ends the turn on release; hands-free leaves turns to the server, unless the
  // user stops the microphone in the middle of speaking.
  if (state.mode === 'push' || state.voicedSinceTurn) {
    if (send({ type: 'commit' })) turnEnded('commit')
    state.voicedSinceTurn = false
  }
  if (state.mode === 'hands-free') await microphone.stop()
  view.setTalk({ on: false, mode: state.mode })
}

const talk = document.querySelector('[data-testid="talk"]')
talk.addEventListener('click', () => {
  if (state.mode !== 'hands-free') return
  if (state.sending) talkStop()
  else talkStart()
})
talk.addEventListener('pointerdown', (event) => {
  if (state.mode !== 'push') return
  talk.setPointerCapture?.(event.pointerId)
  talkStart()
})
for (const type of ['pointerup', 'pointercancel']) {
  talk.addEventListener(type, () => {
    if (state.mode === 'push') talkStop()
  })
}
talk.addEventListener('keydown', (event) => {
  if (state.mode !== 'push' || event.repeat || (event.key !== ' ' && event.key !== 'Enter')) return
  event.preventDefault()
  talkStart()
})
talk.addEventListener('keyup', (event) => {
  if (state.mode !== 'push' || (event.key !== ' ' && event.key !== 'Enter')) return
  event.preventDefault()
  talkStop()
})

document.querySelector('[data-testid="mode"]').addEventListener('click', async () => {
  await talkStop()
  state.mode = state.mode === 'push' ? 'hands-free' : 'push'
  localStorage.setItem('relay.mode', state.mode)
  sendMode()
  if (state.mode === 'hands-free') await microphone.stop()
  view.setTalk({ on: false, mode: state.mode })
})

// ---- typing, invites, sign-in -----------------------------------------------------------------

document.querySelector('[data-testid="text-form"]').addEventListener('submit', (event) => {
  event.preventDefault()
  const input = document.querySelector('[data-testid="text-input"]')
  const text = input.value.trim()
  if (!text) return
  bargeIn('typed')
  if (send({ type: 'text', text })) {
    turnEnded('text')
    input.value = ''
  } else {
    view.error({ code: 'not_connected', message: 'not connected: the message was not sent' })
  }
})

document.querySelector('[data-testid="invite"]').addEventListener('click', () => send({ type: 'invite' }))

document.querySelector('[data-testid="reconnect"]').addEventListener('click', (event) => {
  event.currentTarget.hidden = true
  state.retries = 0
  connect()
})

document.querySelector('[data-testid="signin-form"]').addEventListener('submit', async (event) => {
  event.preventDefault()
  const input = document.querySelector('[data-testid="signin-token"]')
  const result = await signIn(input.value.trim())
  if (!result.ok) return view.showSignIn(result.message)
  input.value = ''
  view.hideSignIn()
  connect()
})

view.setTalk({ on: false, mode: state.mode })
connect()
