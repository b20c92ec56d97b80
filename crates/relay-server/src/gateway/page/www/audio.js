// The microphone: getUserMedia into the capture worklet (capture-worklet.js), which posts PCM16
// 24 kHz frames. `onFrame({ pcm, level, samples })` receives each frame.

export class Microphone {
  constructor(context, onFrame) {
    this.context = context
    this.onFrame = onFrame
    this.stream = null
    this.node = null
    this.flushWaiters = []
  }

  get on() {
    return this.stream !== null
  }

  /** Opens the microphone (asks for permission the first time). */
  async start() {
    if (this.stream) return
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error('this browser gives no microphone to this page (a secure origin — https or localhost — is required)')
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    })
    if (!Microphone.loaded.has(this.context)) {
      await this.context.audioWorklet.addModule(new URL('./capture-worklet.js', import.meta.url))
      Microphone.loaded.add(this.context)
    }
    await this.context.resume()
    const source = this.context.createMediaStreamSource(stream)
    const node = new AudioWorkletNode(this.context, 'relay-capture', { numberOfOutputs: 1 })
    node.port.onmessage = (event) => {
      if (event.data.flushed) {
        for (const done of this.flushWaiters.splice(0)) done()
      } else {
        this.onFrame(event.data)
      }
    }
    // A silent path to the destination keeps the worklet pulled by the audio graph.
    const mute = this.context.createGain()
    mute.gain.value = 0
    source.connect(node).connect(mute).connect(this.context.destination)
    this.stream = stream
    this.node = node
    this.source = source
    this.mute = mute
  }

  /** Resolves once the worklet has posted everything it buffered. */
  flush(message = 'flush') {
    if (!this.node) return Promise.resolve()
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve)
      this.node.port.postMessage(message)
      setTimeout(resolve, 500) // a closed context never answers
    })
  }

  /** Posts what the worklet buffered (one last, shorter frame) and closes the microphone. */
  async stop() {
    if (!this.stream) return
    await this.flush('stop')
    this.source.disconnect()
    this.node.disconnect()
    this.mute.disconnect()
    for (const track of this.stream.getTracks()) track.stop()
    this.stream = null
    this.node = null
  }
}

/** Contexts the worklet module was added to. */
Microphone.loaded = new WeakSet()
