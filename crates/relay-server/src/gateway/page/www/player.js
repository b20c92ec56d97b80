// Reply playback: PCM16 24 kHz chunks scheduled back to back on a Web Audio context, per
// assistant item, with an exact account of how much of the item has been played (for barge-in:
// the server truncates the item at that position so the model knows what the user heard).
import { pcm16ToFloat, SampleJoiner, WIRE_RATE } from './pcm.js'

/** How far ahead of "now" the first chunk of a run is scheduled, seconds (absorbs jitter). */
const LEAD_S = 0.05

export class Player {
  /**
   * `context` is an AudioContext (any rate: Web Audio resamples the 24 kHz buffers).
   * `onStarted(itemId, performanceTime)` is called once per item with the moment its first
   * sample reaches the output.
   */
  constructor(context, { onStarted = () => {} } = {}) {
    this.context = context
    this.onStarted = onStarted
    this.item = null
    this.joiner = new SampleJoiner()
    this.nextTime = 0
    this.droppedBytes = 0
  }

  /** A new assistant item's audio follows (`assistant_audio_started`). */
  begin(itemId) {
    if (this.item && this.item.id === itemId) return
    this.item = { id: itemId, sources: [], cut: false, receivedMs: 0, startedAt: null }
    this.joiner.reset()
  }

  /** Queues one binary frame of the current item; dropped when the item was cut (barge-in). */
  push(bytes) {
    const item = this.item
    if (!item || item.cut) {
      this.droppedBytes += bytes.byteLength
      return
    }
    const samples = this.joiner.push(bytes)
    if (samples.length === 0) return
    const buffer = this.context.createBuffer(1, samples.length, WIRE_RATE)
    buffer.copyToChannel(pcm16ToFloat(samples), 0)
    const source = this.context.createBufferSource()
    source.buffer = buffer
    source.connect(this.context.destination)
    const startAt = Math.max(this.context.currentTime + LEAD_S, this.nextTime)
    source.start(startAt)
    this.nextTime = startAt + buffer.duration
    item.sources.push({ source, startAt, duration: buffer.duration })
    item.receivedMs += buffer.duration * 1000
    if (item.startedAt === null) {
      item.startedAt = this.performanceTimeOf(startAt)
      this.onStarted(item.id, item.startedAt)
    }
  }

  /** The performance.now() time at which context time `t` is heard. */
  performanceTimeOf(t) {
    const stamp = this.context.getOutputTimestamp?.()
    if (stamp && stamp.performanceTime > 0) return stamp.performanceTime + (t - stamp.contextTime) * 1000
    return performance.now() + (t - this.context.currentTime) * 1000
  }

  /** Milliseconds of `item` (default: the current one) played so far. */
  playedMs(item = this.item) {
    if (!item) return 0
    if (item.cut) return item.playedMs
    const now = this.context.currentTime
    let seconds = 0
    for (const { startAt, duration } of item.sources) seconds += Math.min(Math.max(now - startAt, 0), duration)
    return seconds * 1000
  }

  /** Whether reply audio is playing (or queued to play). */
  playing() {
    return Boolean(this.item && !this.item.cut && this.context.currentTime < this.nextTime)
  }

  /**
   * Barge-in: stops the current item now and returns `{ item_id, played_ms }` (whole ms actually
   * played), or null when nothing of an uncut item is queued. Later frames of the item are
   * dropped.
   */
  stop() {
    const item = this.item
    if (!item || item.cut) return null
    const played = Math.round(this.playedMs(item))
    const wasPlaying = this.context.currentTime < this.nextTime
    for (const { source } of item.sources) {
      try {
        source.stop()
      } catch {
        // Never started or already stopped.
      }
      source.disconnect()
    }
    item.cut = true
    item.playedMs = played
    this.nextTime = 0
    return wasPlaying || item.sources.length === 0 ? { item_id: item.id, played_ms: played } : null
  }
}
