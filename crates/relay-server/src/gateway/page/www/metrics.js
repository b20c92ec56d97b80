// Measurements taken at the page, on `window.relayMetrics`, for tests and for people: the
// issue's progressive-feedback targets (acknowledgement within 200 ms of the end of the user's
// turn, progress every 5–10 s, a completion summary) are measured here, where the user is.
// Every time is performance.now(), ms.

/** Frame types that acknowledge a turn: the first one after the end of the turn is its `ackAt`. */
const ACK_TYPES = new Set(['tool_progress', 'tool_call_started', 'assistant_text_delta', 'assistant_audio_started', 'assistant_text'])

export const metrics = {
  /** The conversation's session id (from `ready`). */
  sessionId: null,
  /** When the socket opened and when `ready` arrived. */
  connectedAt: null,
  readyAt: null,
  /** Count of each frame type received. */
  frames: {},
  /** Microphone audio sent: bytes, frames, the loudest frame's level (0–1). */
  sent: { bytes: 0, frames: 0, peakLevel: 0, voicedFrames: 0 },
  /** Reply audio received (bytes) and dropped after a barge-in (bytes). */
  received: { bytes: 0, droppedBytes: 0 },
  /**
   * One entry per user turn: `{ via: 'commit'|'vad'|'text', endedAt, lastVoiceAt, ackAt,
   * ackType, progressAt: [] (tool_progress frames), statusAt: [] (spoken status lines:
   * out-of-band response_done), toolFinishedAt, firstAudioAt (frame received),
   * firstAudioPlayedAt (heard), completedAt (the last assistant_text) }`.
   */
  turns: [],
  /** Assistant items: `{ [itemId]: { startedAt, firstPlayedAt } }`. */
  items: {},
  /** Final `playback` reports sent on barge-in: `{ item_id, played_ms, reason, at }`. */
  playbackReports: [],
  /** Position reports sent while playing (every 100 ms): `{ item_id, played_ms, at }`. */
  playbackUpdates: [],
  /** Approvals answered by this page: `{ id, decision, at }`. */
  approvalAnswers: [],
  /** `error` frames and page errors: `{ code, message, at }`. */
  errors: [],
  /** The last time the microphone heard a voice (level above the voice threshold). */
  lastVoiceAt: null,
}

export const now = () => performance.now()

function currentTurn() {
  return metrics.turns.at(-1)
}

/** The user's turn ended (`commit` sent, `user_speech_stopped` received, or text sent). */
export function turnEnded(via) {
  const last = currentTurn()
  // A commit and the server's own end-of-speech for the same turn count once: the earlier one.
  if (last && last.ackAt === null && now() - last.endedAt < 2000 && via !== 'text' && last.via !== 'text') return
  metrics.turns.push({
    via,
    endedAt: now(),
    lastVoiceAt: metrics.lastVoiceAt,
    ackAt: null,
    ackType: null,
    progressAt: [],
    statusAt: [],
    toolFinishedAt: null,
    firstAudioAt: null,
    firstAudioPlayedAt: null,
    completedAt: null,
  })
}

/** A JSON frame of `type` (`frame`) arrived. */
export function frameReceived(type, frame = {}) {
  metrics.frames[type] = (metrics.frames[type] ?? 0) + 1
  const turn = currentTurn()
  if (!turn) return
  const t = now()
  if (turn.ackAt === null && ACK_TYPES.has(type)) {
    turn.ackAt = t
    turn.ackType = type
  }
  if (type === 'tool_progress') turn.progressAt.push(t)
  // A spoken status line (the acknowledgement or a progress update) finished arriving.
  if (type === 'response_done' && frame.out_of_band) turn.statusAt.push(t)
  if (type === 'tool_call_finished') turn.toolFinishedAt = t
  if (type === 'assistant_audio_started' && turn.firstAudioAt === null) turn.firstAudioAt = t
  if (type === 'assistant_text') turn.completedAt = t
}

/** The first sample of assistant item `itemId` is heard at `at`. */
export function audioPlayed(itemId, at) {
  metrics.items[itemId] = { ...(metrics.items[itemId] ?? {}), firstPlayedAt: at }
  const turn = currentTurn()
  if (turn && turn.firstAudioPlayedAt === null) turn.firstAudioPlayedAt = at
}

/** Microphone audio went out. */
export function audioSent(bytes, level, voiced) {
  metrics.sent.bytes += bytes
  metrics.sent.frames += 1
  metrics.sent.peakLevel = Math.max(metrics.sent.peakLevel, level)
  if (voiced) {
    metrics.sent.voicedFrames += 1
    metrics.lastVoiceAt = now()
  }
}
