// PCM helpers shared by the capture worklet and the page: the wire format is PCM16
// little-endian, 24 kHz, mono (docs/serve.md, protocol 1).

/** The sample rate of every audio frame on the wire. */
export const WIRE_RATE = 24000

/**
 * Converts a stream of float samples at `inRate` to `outRate` by linear interpolation, block
 * after block, with no seam between blocks (the fractional position and the last sample carry
 * over). Downsampling first averages the input over each output step (a box low-pass), so
 * 48 kHz microphone audio does not alias into the speech band.
 */
export class Resampler {
  constructor(inRate, outRate = WIRE_RATE) {
    if (!(inRate > 0) || !(outRate > 0)) throw new RangeError(`bad sample rates ${inRate} -> ${outRate}`)
    this.step = inRate / outRate
    this.taps = this.step > 1 ? Math.max(1, Math.round(this.step)) : 1
    this.t = 0 // position of the next output sample, in input samples, relative to the block
    this.prev = 0 // the previous block's last (filtered) sample
    this.history = new Float32Array(this.taps) // the last `taps` raw samples, for the box filter
    this.h = 0
    this.sum = 0
  }

  /** Resamples one block of float samples; returns the output samples for it. */
  process(input) {
    const n = input.length
    let filtered = input
    if (this.taps > 1) {
      // Running mean over the last `taps` samples.
      filtered = new Float32Array(n)
      for (let i = 0; i < n; i++) {
        this.sum += input[i] - this.history[this.h]
        this.history[this.h] = input[i]
        this.h = (this.h + 1) % this.taps
        filtered[i] = this.sum / this.taps
      }
    }
    const out = new Float32Array(Math.max(0, Math.ceil((n - this.t) / this.step) + 1))
    let count = 0
    let t = this.t
    while (t <= n - 1 && count < out.length) {
      const i = Math.floor(t)
      const frac = t - i
      const a = i < 0 ? this.prev : filtered[i]
      const b = i + 1 < n ? filtered[i + 1] : a
      out[count++] = a + (b - a) * frac
      t += this.step
    }
    this.t = t - n
    if (n > 0) this.prev = filtered[n - 1]
    return count === out.length ? out : out.subarray(0, count)
  }
}

/** Float samples in [-1, 1] to PCM16 (clamped). */
export function floatToPcm16(samples) {
  const out = new Int16Array(samples.length)
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]))
    out[i] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff)
  }
  return out
}

/** PCM16 samples to floats in [-1, 1). */
export function pcm16ToFloat(samples) {
  const out = new Float32Array(samples.length)
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 0x8000
  return out
}

/** Root mean square of PCM16 samples, 0–1. */
export function rms16(samples) {
  if (samples.length === 0) return 0
  let sum = 0
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i]
  return Math.sqrt(sum / samples.length) / 0x8000
}

/** Duration of `bytes` of wire audio, ms. */
export function wireMs(bytes) {
  return (bytes / 2 / WIRE_RATE) * 1000
}

/**
 * Splits a stream of byte chunks into whole PCM16 samples: an odd byte at the end of one chunk
 * is kept and joined to the next (frames may have any length).
 */
export class SampleJoiner {
  constructor() {
    this.carry = null
  }

  /** Returns the whole samples in `chunk` (an ArrayBuffer), little-endian. */
  push(chunk) {
    let bytes = new Uint8Array(chunk)
    if (this.carry !== null) {
      const joined = new Uint8Array(bytes.length + 1)
      joined[0] = this.carry
      joined.set(bytes, 1)
      bytes = joined
      this.carry = null
    }
    if (bytes.length % 2 === 1) {
      this.carry = bytes[bytes.length - 1]
      bytes = bytes.subarray(0, bytes.length - 1)
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const out = new Int16Array(bytes.length / 2)
    for (let i = 0; i < out.length; i++) out[i] = view.getInt16(i * 2, true)
    return out
  }

  /** Forgets a pending odd byte (a new item starts). */
  reset() {
    this.carry = null
  }
}

/** PCM16 samples as little-endian bytes (an ArrayBuffer), whatever the platform's endianness. */
export function pcm16Bytes(samples) {
  const buffer = new ArrayBuffer(samples.length * 2)
  const view = new DataView(buffer)
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i], true)
  return buffer
}
