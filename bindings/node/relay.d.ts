// Types of the relay-sdk entry point: everything in the generated index.d.ts, plus async
// iteration over the events of a Job and a VoiceSession and `Tools.call` (installed by relay.js).
import type { RelayEvent, ToolOutput, VoiceEvent } from './index'

export * from './index'

declare module './index' {
  interface Job {
    [Symbol.asyncIterator](): AsyncIterator<RelayEvent>
  }
  interface VoiceSession {
    /** The session's events in order; `assistant_audio` events carry `audio` as a Buffer. */
    [Symbol.asyncIterator](): AsyncIterator<VoiceEvent>
  }
  interface Tools {
    /** `invoke(name, args).wait()`: the tool's `{ ok, value }`. */
    call(name: string, args?: string | Record<string, unknown>): Promise<ToolOutput>
  }
}
