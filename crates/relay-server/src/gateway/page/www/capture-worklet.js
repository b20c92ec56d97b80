// The microphone's AudioWorklet: mixes the input down to mono, resamples it from the
// AudioContext's rate to 24 kHz, converts it to PCM16 and posts 40 ms frames (ArrayBuffers,
// little-endian) with their level to the page, which sends them as binary WebSocket frames.
//
// Messages from the page: 'flush' posts what is buffered now (then `{ flushed: true }`);
// 'stop' flushes and ends the processor.
import { Resampler, floatToPcm16, pcm16Bytes, rms16, WIRE_RATE } from './pcm.js'

const FRAME_SAMPLES = (WIRE_RATE / 1000) * 40

class RelayCapture extends AudioWorkletProcessor {
  constructor() {
    super()
    // `sampleRate` is the AudioContext's rate, a global of the worklet scope.
    this.resampler = new Resampler(sampleRate, WIRE_RATE)
    this.frame = new Int16Array(FRAME_SAMPLES)
    this.fill = 0
    this.running = true
    this.port.onmessage = (event) => {
      if (event.data === 'flush' || event.data === 'stop') {
        this.post()
        this.port.postMessage({ flushed: true })
      }
      if (event.data === 'stop') this.running = false
    }
  }

  post() {
    if (this.fill === 0) return
    const samples = this.frame.slice(0, this.fill)
    const pcm = pcm16Bytes(samples)
    this.port.postMessage({ pcm, level: rms16(samples), samples: samples.length }, [pcm])
    this.fill = 0
  }

  process(inputs) {
    const channels = inputs[0]
    if (channels && channels.length > 0 && channels[0].length > 0) {
      let mono = channels[0]
      if (channels.length > 1) {
        mono = new Float32Array(channels[0].length)
        for (const channel of channels) for (let i = 0; i < mono.length; i++) mono[i] += channel[i] / channels.length
      }
      const pcm = floatToPcm16(this.resampler.process(mono))
      let offset = 0
      while (offset < pcm.length) {
        const take = Math.min(pcm.length - offset, FRAME_SAMPLES - this.fill)
        this.frame.set(pcm.subarray(offset, offset + take), this.fill)
        this.fill += take
        offset += take
        if (this.fill === FRAME_SAMPLES) this.post()
      }
    }
    return this.running
  }
}

registerProcessor('relay-capture', RelayCapture)
