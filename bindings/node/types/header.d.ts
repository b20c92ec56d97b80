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
