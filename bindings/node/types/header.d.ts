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

/** A repository of the workspace, as configured. */
export interface RepoSpec {
  name: string
  url: string | null
  path: string
  dependencies: string[]
  sync_strategy: 'main_branch' | 'feature_branch'
  auto_sync: boolean
}

/** The workspace's dependency graph. */
export interface DependencyGraph {
  repos: string[]
  /** `from` depends on `to`. */
  edges: { from: string; to: string }[]
  /** Repositories grouped so that each batch only depends on earlier ones. */
  batches: string[][]
}

/** What a change to some repositories affects. */
export interface Impact {
  changed: string[]
  direct: string[]
  transitive: string[]
  batches: string[][]
}

/** A commit as shown in briefings. */
export interface CommitInfo {
  sha: string
  summary: string
  author: string
  /** RFC 3339 with the author's offset. */
  time: string
}

/** The state of one repository (the numbers `git status --porcelain=v2 --branch` reports). */
export interface RepoStatus {
  name: string
  path: string
  branch: string | null
  head: string | null
  upstream: string | null
  ahead: number | null
  behind: number | null
  staged: number
  unstaged: number
  untracked: number
  conflicted: number
  last_commit: CommitInfo | null
  /** Why the status could not be read; the other fields are then empty. */
  error: string | null
}

/** The result of `sync`. */
export interface SyncReport {
  repos: { name: string; action: string; reason: string | null; before: string | null; after: string | null }[]
  triggered_rules: { trigger: string; action: string; notify: string[] }[]
}

/** The result of `branch`. */
export interface BranchReport {
  repos: { name: string; action: string; reason: string | null; head: string | null }[]
}

/** The result of `commit`. */
export interface CommitReport {
  repos: { name: string; action: string; reason: string | null; sha: string | null }[]
}

/** The result of `push`. */
export interface PushReport {
  repos: { name: string; action: string; reason: string | null }[]
}
