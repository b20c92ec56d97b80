// Types of the relay-sdk entry point: everything in the generated index.d.ts, plus async
// iteration over a Job's events (installed by relay.js).
import type { RelayEvent } from './index'

export * from './index'

declare module './index' {
  interface Job {
    [Symbol.asyncIterator](): AsyncIterator<RelayEvent>
  }
}
