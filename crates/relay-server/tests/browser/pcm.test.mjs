// The page's PCM helpers (pcm.js, also used by the capture worklet), run in Node: the same file
// the page loads.
import { test } from 'node:test'
import assert from 'node:assert/strict'

import { floatToPcm16, pcm16Bytes, pcm16ToFloat, Resampler, rms16, SampleJoiner, wireMs, WIRE_RATE } from '../../src/gateway/page/www/pcm.js'

function sine(rate, freq, seconds, amplitude = 0.5) {
  const out = new Float32Array(Math.round(rate * seconds))
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate)
  return out
}

/** Resamples `input` in blocks of `block` samples (as the worklet does, 128 at a time). */
function resampleInBlocks(input, inRate, block) {
  const resampler = new Resampler(inRate, WIRE_RATE)
  const parts = []
  for (let i = 0; i < input.length; i += block) parts.push(resampler.process(input.subarray(i, i + block)))
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** Dominant frequency by zero crossings. */
function frequency(samples, rate) {
  let crossings = 0
  for (let i = 1; i < samples.length; i++) if (samples[i - 1] < 0 && samples[i] >= 0) crossings++
  return crossings / (samples.length / rate)
}

for (const inRate of [48000, 44100, 16000, 24000]) {
  test(`resampling ${inRate} Hz to 24 kHz keeps the length, pitch and level, in 128-sample blocks`, () => {
    const input = sine(inRate, 440, 2)
    const out = resampleInBlocks(input, inRate, 128)
    // Two seconds in, two seconds out (within a sample or two of the block seams).
    assert.ok(Math.abs(out.length - 2 * WIRE_RATE) <= 2, `${out.length} samples`)
    assert.ok(Math.abs(frequency(out, WIRE_RATE) - 440) < 2, `${frequency(out, WIRE_RATE)} Hz`)
    const level = rms16(floatToPcm16(out.subarray(1000)))
    assert.ok(Math.abs(level - 0.5 / Math.SQRT2) < 0.02, `level ${level}`)
  })
}

test('blocks of any size give the same samples as one block (no seam between blocks)', () => {
  const input = sine(48000, 300, 0.5)
  const whole = resampleInBlocks(input, 48000, input.length)
  for (const block of [1, 7, 128, 1000]) {
    const blocks = resampleInBlocks(input, 48000, block)
    assert.equal(blocks.length, whole.length, `block ${block}`)
    for (let i = 0; i < whole.length; i++) assert.ok(Math.abs(blocks[i] - whole[i]) < 1e-5, `block ${block}, sample ${i}`)
  }
})

test('downsampling filters what 24 kHz cannot carry instead of folding it into speech', () => {
  // A 20 kHz tone at 48 kHz would alias to 4 kHz; the filter attenuates it.
  const out = resampleInBlocks(sine(48000, 20000, 1), 48000, 128)
  const level = rms16(floatToPcm16(out))
  assert.ok(level < 0.1, `aliased level ${level}`)
})

test('bad sample rates are refused with the rates named', () => {
  assert.throws(() => new Resampler(0), /bad sample rates 0 -> 24000/)
  assert.throws(() => new Resampler(Number.NaN), /bad sample rates/)
})

test('float to PCM16 clamps and keeps the extremes; PCM16 to float inverts it', () => {
  assert.deepEqual([...floatToPcm16(Float32Array.of(0, 1, -1, 2, -2, 0.5))], [0, 32767, -32768, 32767, -32768, 16384])
  const back = pcm16ToFloat(Int16Array.of(-32768, 0, 16384))
  assert.deepEqual([...back], [-1, 0, 0.5])
  assert.equal(rms16(new Int16Array(0)), 0)
  assert.equal(wireMs(48000), 1000)
})

test('PCM16 bytes are little-endian and odd-length frames are joined across chunks', () => {
  const bytes = new Uint8Array(pcm16Bytes(Int16Array.of(1, -2, 0x1234)))
  assert.deepEqual([...bytes], [1, 0, 0xfe, 0xff, 0x34, 0x12])
  const joiner = new SampleJoiner()
  assert.deepEqual([...joiner.push(bytes.slice(0, 3).buffer)], [1])
  assert.deepEqual([...joiner.push(bytes.slice(3, 5).buffer)], [-2])
  assert.deepEqual([...joiner.push(bytes.slice(5).buffer)], [0x1234])
  assert.deepEqual([...joiner.push(new ArrayBuffer(0))], [])
  joiner.push(Uint8Array.of(9).buffer)
  joiner.reset()
  assert.deepEqual([...joiner.push(Uint8Array.of(1, 0).buffer)], [1])
})
