/** One event of a job: the envelope, a `type` tag and the fields of that type. */
export type RelayEvent = {
  /** The job that emitted the event. */
  job: string
  /** Position in the job's stream, from 0, consecutive. */
  seq: number
  /** Emission time, milliseconds since the Unix epoch. */
  at_ms: number
  /** `job_started`, `progress`, `log`, `repo_finished`, `agent`, `job_finished`, ... */
  type: string
  [field: string]: unknown
}

/** The `Error` Relay rejects with: `code` is stable (`unknown_repo`, `config`, `cancelled`, ...). */
export interface RelayError extends Error {
  code: string
  /** `config`, `repo`, `cancelled`, `usage` or `internal`. */
  kind: string
}

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/**
 * A running long operation (a sync, an agent run, ...) streaming events.
 * `for await (const event of job)` iterates over its events; `await job.wait()` gives its result.
 */
export declare class Job {
  /** The job's id, as in each of its events. */
  get id(): string
  /**
   * Asks the job to stop; the stream then ends with a cancelled `job_finished` event and
   * `wait()` rejects with code `cancelled`.
   */
  cancel(): void
  /** The job's result; rejects with the job's error (`err.code`, `err.kind`, `err.message`). */
  wait(): Promise<any>
  /**
   * The next events (at most `max`, default 512), or `null` once the stream is over.
   * `for await` uses this; call it directly only to control batching.
   */
  nextBatch(max?: number | undefined | null): Promise<RelayEvent[] | null>
}

/**
 * Starts a job that streams `events` progress events and returns `events` (or fails as asked).
 * For tests and for measuring the cost of streaming events into Node.
 */
export declare function syntheticJob(options: SyntheticJobOptions): Job

/** Options of [`synthetic_job`]. */
export interface SyntheticJobOptions {
  /** How many progress events to emit. */
  events: number
  /** Pause between two events, in milliseconds (default 0). */
  intervalMs?: number
  /** When set, the job fails with code `synthetic_failure` and this message. */
  failWith?: string
}

/** The version of the Relay SDK this module was built from. */
export declare function version(): string
