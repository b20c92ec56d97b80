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
  /** `config`, `repo`, `agent`, `voice`, `infra`, `cancelled`, `usage` or `internal`. */
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

/** A tool use the agent asks permission for (the argument of the `permission` callback). */
export interface PermissionRequest {
  /** The repository the agent works in. */
  repo: string
  /** `Bash`, `Write`, `Edit`, ... */
  tool_name: string
  /** The tool's input, as the agent sent it. */
  input: Record<string, unknown>
  tool_use_id: string | null
  /** The agent's own short description of the action, when given. */
  description: string | null
}

/**
 * What the `permission` callback answers (or resolves to): `true`/`'allow'` to allow,
 * `false`/`'deny'` to deny, or an object to allow with changed input, deny with a message for the
 * model, or ask a person. A callback that throws or rejects denies with its message.
 */
export type PermissionAnswer =
  | boolean
  | 'allow'
  | 'deny'
  | { decision: 'allow'; updated_input?: Record<string, unknown> }
  | { decision: 'deny'; message: string }
  | { decision: 'ask'; question: string }

/** The permission callback of `runAgent`: may be `async`. */
export type PermissionCallback = (request: PermissionRequest) => PermissionAnswer | Promise<PermissionAnswer>

/** A question Relay asks before something hard to undo (`tools.onApproval`). */
export interface ApprovalRequest {
  id: string
  /** As spoken and shown: "Destroy the environment dev, with its disks and snapshots? Allow it?" */
  question: string
  /** A Relay tool (`kind: 'tool'`, `name`, `arguments`) or the coding agent's tool (`kind: 'agent_tool'`, `repo`, `tool_name`, `input`). */
  action: Record<string, unknown>
  requested_by: string | null
  session: string | null
  approvers: string[]
  timeout_ms: number
}

/** What the approval handler answers: a throw, anything else or no answer in time denies. */
export type ApprovalAnswer =
  | 'allow'
  | 'deny'
  | 'allow_for_session'
  | { decision: 'allow' | 'deny' | 'allow_for_session'; reason?: string; user?: string }

/** The result of `runAgent`: one entry per selected repository, in scheduling order. */
export interface RunReport {
  repos: {
    name: string
    /** `success`, `failed`, `skipped` or `cancelled`. */
    outcome: string
    session_id: string | null
    num_turns: number
    cost_usd: number
    /** Files the run changed, relative to the repository root. */
    changed_files: string[]
    error: string | null
  }[]
}

/** An environment as its provider sees it now. */
export interface Environment {
  name: string
  /** `local` or `proxmox`. */
  provider: string
  /** `local`, `lxc` or `qemu`. */
  kind: string
  /** The provider's id (the directory for local environments, the VMID on Proxmox). */
  id: string
  node: string | null
  /** `provisioning`, `running`, `stopped`, `paused` or `unknown`. */
  status: string
  lock: string | null
  profile: string | null
  cores: number | null
  memory_mb: number | null
  uptime_secs: number | null
}

/** One snapshot of an environment. */
export interface SnapshotInfo {
  name: string
  description: string
  /** Seconds since the Unix epoch. */
  created_at: number | null
  parent: string | null
}

/** What a command run with `exec` did. */
export interface ExecOutput {
  exit_code: number | null
  signal: number | null
  stdout: string
  stderr: string
}

/** A tool of the registry: name, description, JSON-Schema parameters and the permission it needs. */
export interface ToolSpec {
  name: string
  description: string
  parameters: Record<string, unknown>
  /** `read`, `session`, `write_repos`, `run_agent` or `manage_infra`. */
  permission: string
  /** Long tools get a spoken acknowledgement and periodic progress. */
  long_running: boolean
  /** Limit in milliseconds, if any. */
  timeout: number | null
}

/** A tool in the OpenAI Realtime `session.tools` format. */
export interface RealtimeTool {
  type: 'function'
  name: string
  description: string
  parameters: Record<string, unknown>
}

/** The result of a tool call, as the model receives it (`value` is `{ error, hint }` when `ok` is false). */
export interface ToolOutput {
  ok: boolean
  value: unknown
}

/**
 * The handler of a tool registered with `tools.register`: gets the arguments object (already checked
 * against the tool's `parameters`) and returns, or resolves to, any JSON-serializable value. A throw
 * or rejection answers the model `{ ok: false }` with its message.
 */
export type ToolHandler = (args: Record<string, any>) => unknown | Promise<unknown>

/**
 * One event of a voice session, tagged by `type`: `session_started`, `user_transcript`,
 * `assistant_text_delta`, `assistant_text`, `assistant_audio` (`audio` is base64), `tool_call_started`,
 * `tool_progress`, `tool_call_finished`, `interrupted`, `response_done`, `error`, `closed`, ...
 */
export type VoiceEvent = {
  type: string
  [field: string]: unknown
}

/** Measurements of a voice session so far. */
export interface VoiceMetrics {
  usage: { input_tokens: number; output_tokens: number; total_tokens: number }
  responses: number
  last_time_to_first_audio_ms: number | null
  rate_limits: unknown[]
  reconnects: number
  tool_calls: number
  audio_bytes_in: number
  audio_bytes_out: number
}

/** The acting user (`memory.whoami()`). */
export interface WhoAmI {
  user: string
  role: 'reader' | 'developer' | 'team_lead' | 'admin'
  /** The tool registry's permissions: `read`, `session`, ..., `team`, `admin`. */
  permissions: string[]
  /** The plan's permissions: `repository_write`, `container_manage`, ... */
  plan_permissions: string[]
  limits: { profiles: string[]; max_environments: number | null }
}

/** A saved session in a listing. */
export interface SessionSummary {
  id: string
  user: string
  updated_ms: number
  expires_ms: number
  primary: string | null
  turns: number
}

/** One turn of a saved conversation. */
export interface SessionTurn {
  role: 'user' | 'assistant' | 'tool'
  text: string
  tool: { name: string; arguments: string; output: string } | null
  at_ms: number
}

/** A saved session with its turns and each project's context. */
export interface SessionRecord {
  id: string
  user: string
  created_ms: number
  updated_ms: number
  primary: string | null
  projects: Record<string, { project: string; active_repos: string[]; operation: string | null }>
  turns: SessionTurn[]
}

/** A durable job as stored. */
export interface JobRecord {
  id: string
  operation: string
  user: string
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted'
  spec: Record<string, any>
  done: string[]
  resume: Record<string, string>
  owner: string | null
  heartbeat_ms: number
  cancel_requested: boolean
  created_ms: number
  updated_ms: number
  message: string | null
}

/** An audit entry as stored: numbered and chained. */
export interface AuditRecord {
  seq: number
  entry: {
    at_ms: number
    user: string
    role: string
    session: string | null
    kind: 'tool' | 'command'
    action: string
    args: unknown
    outcome: 'ok' | 'failed' | 'denied'
    detail: string | null
    duration_ms: number
  }
  prev_hash: string
  hash: string
}

/** What `memory.verifyAudit()` found. */
export type AuditVerdict = { status: 'intact'; records: number } | { status: 'broken'; seq: number; problem: string }
