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

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/**
 * Development environments of one provider. Open with `Environments.open({ provider, workspace,
 * localRoot })`. Long operations return a `Job`; queries return Promises. Errors carry a `code`
 * (`env_not_found`, `snapshot_not_found`, `config`, ...) and `kind` `infra`.
 */
export declare class Environments {
  /**
   * Opens the provider: `provider` if given, else what the workspace's `relay.yaml` says, else
   * the local provider. Throws (code `config`, `usage`) when the configuration is incomplete.
   */
  static open(options?: OpenEnvironmentsOptions | undefined | null): Environments
  /** `local` or `proxmox`. */
  get provider(): string
  /** Creates `name` if it does not exist and starts it; the result is the `Environment`. */
  up(name: string, options?: UpOptions | undefined | null): Job
  /** The environment `name` now. */
  status(name: string): Promise<Environment>
  /** Every environment of the provider. */
  list(): Promise<Environment[]>
  /**
   * Runs `command` (program and arguments, no shell: use `['sh', '-c', '...']` for one) in
   * environment `name`. Resolves with its exit code and output, whatever the exit code.
   */
  exec(name: string, command: Array<string>, options?: ExecOptions | undefined | null): Promise<ExecOutput>
  /** Takes snapshot `snapshot` of environment `name`. */
  snapshot(name: string, snapshot: string): Job
  /** The snapshots of environment `name`. */
  snapshots(name: string): Promise<SnapshotInfo[]>
  /** Rolls environment `name` back to `snapshot`. */
  rollback(name: string, snapshot: string): Job
  /** Stops environment `name` (cleanly unless `force`). */
  stop(name: string, options?: StopOptions | undefined | null): Job
  /** Destroys environment `name` and everything in it. */
  down(name: string): Job
}

/**
 * GitHub over a workspace. Open it with `GitHub.open(workspace, { token, apiUrl, graphqlUrl })`.
 * Every method returns a Promise; failures reject with an Error whose `kind` is `github`
 * (`code` `github_missing_token`, `refused`, ...) or `usage`.
 */
export declare class GitHub {
  /**
   * GitHub for `workspace`: the token from `options.token`, else `GITHUB_TOKEN`, else
   * `GH_TOKEN`; the addresses from `apiUrl`/`graphqlUrl`, else `GITHUB_API_URL`/
   * `GITHUB_GRAPHQL_URL`. Throws (code `github_missing_token`) without a token.
   */
  static open(workspace: Workspace, options?: OpenGitHubOptions | undefined | null): GitHub
  /** The morning briefing: `{ repos: [...], highlights: [...] }` (docs/github.md). */
  briefing(): Promise<{ repos: Array<Record<string, any>>; highlights: Array<{ kind: string; text: string; [field: string]: any }> }>
  /** Open pull requests, each with the workspace's repository `name`. */
  pullRequests(options?: PullRequestsOptions | undefined | null): Promise<Array<Record<string, any>>>
  /** One pull request in full (files, reviews, checks), with a spoken `summary`. */
  pullRequest(repo: string, number: number): Promise<Record<string, any>>
  /**
   * The checks of `branch` in `repo`, check runs and statuses combined:
   * `{ state, failing, ... }`.
   */
  checks(repo: string, branch: string): Promise<Record<string, any>>
  /** Open issues assigned to you, urgent first, each with the repository `name`. */
  issues(options?: IssuesOptions | undefined | null): Promise<Array<Record<string, any>>>
  /**
   * Opens pull requests for `branch` across repositories, dependencies first; resolves with
   * one outcome per repository (`{ repo, ... }`).
   */
  createPullRequests(branch: string, title: string, options?: CreatePullRequestsOptions | undefined | null): Promise<Array<Record<string, any>>>
  /**
   * Submits a review: `event` is `approve`, `request_changes` or `comment`; rejects with
   * kind `usage` for anything else.
   */
  review(repo: string, number: number, event: string, options?: ReviewOptions | undefined | null): Promise<Record<string, any>>
  /**
   * Merges `branch`'s pull requests in dependency order when checks and reviews allow;
   * rejects with code `refused` and every reason otherwise.
   */
  merge(branch: string, options?: MergeOptions | undefined | null): Promise<Array<Record<string, any>>>
  /** Opens an issue in `repo`; resolves with `{ number, url, ... }`. */
  createIssue(repo: string, title: string, options?: CreateIssueOptions | undefined | null): Promise<Record<string, any>>
}

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

/** A running MCP server; `close()` stops it. */
export declare class McpServer {
  /** The endpoint MCP clients connect to: `http://<host>:<port>/mcp`. */
  get url(): string
  /** Stops serving. */
  close(): void
}

/**
 * Relay's memory as the acting user. Open it with `await Memory.open({ workspace, store, user })`.
 * Failures reject with an Error whose `kind` is `store` (codes `store_unavailable`,
 * `store_invalid_url`, ...; the URL's password redacted), `usage` (codes `denied`,
 * `unauthenticated`, `unknown_session`, `usage`) or `repo`.
 */
export declare class Memory {
  /** Opens the workspace, its store and identifies the acting user. */
  static open(options?: OpenMemoryOptions | undefined | null): Promise<Memory>
  /** The store's URL, password redacted. */
  get storeUrl(): string
  /** The acting user: `{ user, role, permissions, plan_permissions, limits }`. */
  whoami(): WhoAmI
  /** Saved sessions (yours; everyone's for team leads), most recent first. */
  sessions(): Promise<SessionSummary[]>
  /** One saved session with its turns; rejects with code `unknown_session` when there is none. */
  session(name: string): Promise<SessionRecord>
  /** Deletes a saved session before it expires; `false` when there was none. */
  deleteSession(name: string): Promise<boolean>
  /**
   * The tools as the acting user (their role enforced, every call audited, denials too).
   * With `session`, a `VoiceSession` started on them saves its conversation under that name
   * and resumes it (history replayed) when it exists.
   */
  tools(session?: string | undefined | null): Promise<Tools>
  /**
   * Durable jobs, newest first (yours; everyone's for team leads); a job whose process died
   * is `interrupted`.
   */
  jobs(): Promise<JobRecord[]>
  /** One job with every event it recorded: `{ job, events }`. */
  job(id: string): Promise<{ job: JobRecord; events: RelayEvent[] }>
  /** Queues a sync as a durable job (state `queued`) for a worker or `resumeJob`. */
  enqueueSync(options?: EnqueueSyncOptions | undefined | null): Promise<JobRecord>
  /**
   * Runs what is left of an interrupted, failed or queued job in this process: a `Job`
   * streaming its events (`for await`); repositories already done are not done again.
   */
  resumeJob(id: string): Promise<Job>
  /** Cancels a job (a running one stops within a heartbeat, from any process); its record. */
  cancelJob(id: string): Promise<JobRecord>
  /** Audit records, oldest first (yours unless you have the team_lead role). */
  audit(options?: AuditOptions | undefined | null): Promise<AuditRecord[]>
  /**
   * Checks the audit chain: `{ status: 'intact', records }` or `{ status: 'broken', seq,
   * problem }` naming the first entry changed, removed or moved (needs the team_lead role).
   */
  verifyAudit(): Promise<AuditVerdict>
}

/** A tool registry and the session state its tools share (the primary project). */
export declare class Tools {
  /**
   * Answers approval questions from now on: `handler(request)` gets `{ id, question, action,
   * requested_by, session, approvers, timeout_ms }` and returns (or resolves to) `'allow'`,
   * `'deny'`, `'allow_for_session'` or `{ decision, reason?, user? }`. A throw, another answer
   * or no answer within `timeout_ms` denies. Without a handler, tools that need approval are
   * refused. Voice sessions started before keep what they had.
   */
  onApproval(handler: (request: ApprovalRequest) => ApprovalAnswer | Promise<ApprovalAnswer>): void
  /**
   * Adds a tool written in JavaScript. `handler(args)` gets the arguments object (already
   * checked against `parameters`: invalid arguments never reach it) and returns, or resolves
   * to, any JSON-serializable value: the model receives `{ ok: true, value }`. A throw or
   * rejection answers `{ ok: false }` with its message. Sessions started before keep the
   * tools they had. Throws (code `usage`) on a bad name, a name already taken, a missing
   * description, parameters that are not an object schema or an unknown permission.
   */
  register(definition: ToolDefinition, handler: ToolHandler): void
  /**
   * Serves these tools (Relay's and those registered so far) to MCP clients over Streamable
   * HTTP: read-only unless `allow` adds permissions. JavaScript tools run on this thread's
   * event loop. Throws (code `usage`) on a bad address or permission.
   */
  serveMcp(options?: ServeMcpOptions | undefined | null): McpServer
  /**
   * Builds the registry. Throws (code `usage`) on an unknown permission or agent, or an
   * agent without a workspace.
   */
  constructor(options?: ToolsOptions | undefined | null)
  /** Every tool's spec, sorted by name. */
  specs(): ToolSpec[]
  /** The tools in the OpenAI Realtime `session.tools` format, ready for a `session.update`. */
  realtimeTools(): RealtimeTool[]
  /**
   * Calls tool `name` with `args` (the model's JSON text, or an object). The job's events are
   * the tool's progress; its result is `{ ok, value }`: bad arguments, unknown tools and
   * failures are `ok: false` with `value.error` and `value.hint` for the model, never a
   * rejection. `job.cancel()` stops the tool.
   */
  invoke(name: string, args?: string | Record<string, unknown>): Job
}

/**
 * A running voice session. Send with `sendText`, `sendAudio`, `commitAudio`; tell it what the
 * user heard with `reportPlayback`; read events with `for await`; end it with `close()`.
 */
export declare class VoiceSession {
  /**
   * Connects (Realtime) or starts (text) a session whose model calls `tools`. Rejects with
   * kind `voice` (e.g. code `auth`, `connect`) or `usage` on bad options.
   */
  static start(tools: Tools, options?: VoiceStartOptions | undefined | null): Promise<VoiceSession>
  /** `openai-realtime` or `text`. */
  get transport(): string
  /**
   * The next events (at most `max`, default 512), or `null` once the session has ended and
   * every event was read. `for await` uses this (and turns `assistant_audio`'s base64 `audio`
   * into a Buffer).
   */
  nextBatch(max?: number | undefined | null): Promise<VoiceEvent[] | null>
  /** Sends a typed user message; the model replies. */
  sendText(text: string): void
  /** Sends audio in the session's input format (PCM16 24 kHz mono by default). */
  sendAudio(audio: Buffer): void
  /** Ends the user's spoken turn (only with turn detection `none`). */
  commitAudio(): void
  /**
   * Reports how much of assistant item `itemId` the user has heard (ms), so that a barge-in
   * truncates the model's memory of its reply there.
   */
  reportPlayback(itemId: string, playedMs: number): void
  /** Ends the session; events already produced can still be read, the last is `closed`. */
  close(): void
  /** Token usage, responses, time to first audio, tool calls, audio bytes so far. */
  metrics(): VoiceMetrics
}

/**
 * A workspace: the repositories of `relay.yaml`, their dependency graph and the operations
 * across them. Open one with `Workspace.open(path)`.
 */
export declare class Workspace {
  /**
   * Starts a coding agent on `prompt` in each selected repository (all by default), in
   * dependency order. The job's events include every agent event (`type: "agent"`, with
   * `repo` and `event`) and one `repo_finished` per repository; its result is a `RunReport`.
   * `job.cancel()` kills the agents' processes. Throws (code `usage`, `unknown_repo`) on a bad
   * request before anything runs.
   */
  runAgent(prompt: string, options?: AgentRunOptions | undefined | null): Job
  /**
   * Opens a workspace: `path` is a configuration file, or a directory where `relay.yaml` is
   * looked for there and in its parents (like git); omitted, the search starts in the current
   * directory. Throws an Error with code `config` naming the file, line and fix.
   */
  static open(path?: string | undefined | null): Workspace
  /** The workspace's root directory. */
  get root(): string
  /** The configuration file the workspace was loaded from. */
  get configFile(): string | null
  /** The repositories as configured. */
  repos(): RepoSpec[]
  /** The dependency graph: repositories, edges (`from` depends on `to`) and batches. */
  graph(): DependencyGraph
  /** What a change to `changed` affects. */
  impact(changed: Array<string>): Impact
  /** Status of the selected repositories (all by default), in dependency order. */
  status(options?: SelectionOptions | undefined | null): Promise<RepoStatus[]>
  /**
   * Names of repositories with commits not reachable from `rev` (a branch, tag or
   * remote-tracking ref) or with uncommitted changes.
   */
  changedSince(rev: string): Promise<string[]>
  /** Paths changed in `repo` since commit `since` (uncommitted changes when omitted). */
  changedFiles(repo: string, since?: string | undefined | null): Promise<string[]>
  /**
   * Starts a sync (clone missing repositories, fetch, fast-forward); the job's result is a
   * `SyncReport`.
   */
  sync(options?: JobOptions | undefined | null): Job
  /** Starts creating (at HEAD) or switching to branch `name`; the result is a `BranchReport`. */
  branch(name: string, options?: JobOptions | undefined | null): Job
  /** Starts committing with `message`; the result is a `CommitReport`. */
  commit(message: string, options?: CommitOptions | undefined | null): Job
  /** Starts pushing the checked-out branches to `origin`; the result is a `PushReport`. */
  push(options?: PushOptions | undefined | null): Job
}

/** Options of `runAgent` (and of the agent behind the tools' coding tools). */
export interface AgentRunOptions {
  /**
   * `"claude"` (default: the Claude Code CLI) or `"shell"` (runs the prompt as a command line,
   * split into words, no shell).
   */
  agent?: string
  /** Exactly these repositories. */
  repos?: Array<string>
  /** These repositories and everything that depends on them. */
  affectedBy?: Array<string>
  /** Most repositories worked on at once within a dependency batch (default 1). */
  jobs?: number
  /** Run a repository even when one of its dependencies failed (default false). */
  keepGoing?: boolean
  /** Model for Claude Code. */
  model?: string
  /** Maximum agent turns per repository. */
  maxTurns?: number
  /** Maximum spend per repository in USD. */
  maxBudgetUsd?: number
  /** Tools Claude Code may use without asking `permission`. */
  allowedTools?: Array<string>
  /** Tools Claude Code may never use. */
  disallowedTools?: Array<string>
  /** `default`, `acceptEdits`, `plan`, `dontAsk` or `bypassPermissions`. */
  permissionMode?: string
  /** Stop an agent that prints nothing for this many seconds (default 600). */
  idleTimeoutSecs?: number
  /** Stop an agent that runs longer than this many seconds. */
  timeoutSecs?: number
  /** The `claude` binary (default: `RELAY_CLAUDE_BIN`, then PATH). */
  claudeBinary?: string
  /**
   * Extra environment for the agent process (e.g. `ANTHROPIC_API_KEY`); values never appear in
   * logs or errors.
   */
  env?: Record<string, string>
  /**
   * Decides the tools Claude Code asks about (those not in `allowedTools`); may be `async`.
   * A throw or rejection denies the tool with its message. Without it such tools are denied.
   */
  permission?: PermissionCallback
  /**
   * Asked (like `tools.onApproval`) about the tools `permission` answers `{ decision: 'ask' }`
   * for, or about every such tool without `permission`: "Claude wants to run `npm publish`
   * in frontend. Allow it?". For `runAgent` only: the tools' agent asks `tools.onApproval`.
   */
  onApproval?: (request: ApprovalRequest) => ApprovalAnswer | Promise<ApprovalAnswer>
}

/** Options of `audit`; every one optional. */
export interface AuditOptions {
  /** Only entries from the last DURATION (`90s`, `30m`, `8h`, `7d`, `2w`). */
  since?: string
  /** Only this user's entries (someone else's need the team_lead role). */
  user?: string
  /** Only the newest N (still oldest first). */
  limit?: number
}

/** Options of `commit`. */
export interface CommitOptions {
  /** Exactly these repositories. */
  repos?: Array<string>
  /** These repositories and everything that depends on them. */
  affectedBy?: Array<string>
  /** Stage changes to tracked files first, like `git commit -a` (default false). */
  all?: boolean
  /** How many repositories at once (default: number of cores). */
  jobs?: number
}

/** Options of `createIssue`. */
export interface CreateIssueOptions {
  /** The description (default empty). */
  body?: string
  /** Labels to put on it. */
  labels?: Array<string>
}

/** Options of `createPullRequests`. */
export interface CreatePullRequestsOptions {
  /** The description (default empty). */
  body?: string
  /** The branch to merge into (default: each repository's default branch). */
  base?: string
  /** Open them as drafts (default false). */
  draft?: boolean
  /** Only these repositories (default all). */
  repos?: Array<string>
}

/** Options of `enqueueSync`: `repos` or `affectedBy` (default: every auto-synced repository). */
export interface EnqueueSyncOptions {
  /** Exactly these repositories. */
  repos?: Array<string>
  /** These repositories and everything that depends on them. */
  affectedBy?: Array<string>
}

/** Options of `exec`. */
export interface ExecOptions {
  /** Data for the command's standard input. */
  stdin?: string
  /** Working directory inside the environment. */
  cwd?: string
  /** How long the command may run (default 600 s). */
  timeoutSecs?: number
}

/** Options of `issues`. */
export interface IssuesOptions {
  /** Only these repositories; default: every repository of the workspace that is on GitHub. */
  repos?: Array<string>
}

/** Options of `sync` and `branch`. */
export interface JobOptions {
  /** Exactly these repositories. */
  repos?: Array<string>
  /** These repositories and everything that depends on them. */
  affectedBy?: Array<string>
  /** How many repositories at once (default: number of cores). */
  jobs?: number
}

/** Options of `merge`. */
export interface MergeOptions {
  /** `merge` (default), `squash` or `rebase`. */
  method?: string
  /** Only these repositories (default all). */
  repos?: Array<string>
}

/** Options of `Environments.open`. */
export interface OpenEnvironmentsOptions {
  /** `local` or `proxmox`; default: the workspace's `infra` section, else `local`. */
  provider?: string
  /**
   * The workspace whose `relay.yaml` configures the provider (and whose repositories a local
   * environment gets).
   */
  workspace?: Workspace
  /** Where the local provider keeps its environments. */
  localRoot?: string
}

/** Options of `GitHub.open`; each absent one comes from the environment. */
export interface OpenGitHubOptions {
  /** The token (else `GITHUB_TOKEN`, else `GH_TOKEN`). */
  token?: string
  /** The REST root (else `GITHUB_API_URL`, else https://api.github.com). */
  apiUrl?: string
  /** The GraphQL endpoint (else `GITHUB_GRAPHQL_URL`, else GitHub's). */
  graphqlUrl?: string
}

/** Options of `Memory.open`; every one optional. */
export interface OpenMemoryOptions {
  /** The workspace (a directory or relay.yaml); default: discovered from the current directory. */
  workspace?: string
  /**
   * `sqlite:PATH` or `redis://HOST:PORT/DB`; default: `RELAY_STORE_URL`, relay.yaml's
   * `store.url`, else `<workspace>/.relay/relay.db`.
   */
  store?: string
  /**
   * Act as this user (default: `RELAY_USER`, else the OS user); their role comes from
   * relay.yaml's `team:`.
   */
  user?: string
  /** Act as whoever this token (from `relay team token create`) belongs to. */
  token?: string
}

/** Options of `pullRequests`. */
export interface PullRequestsOptions {
  /**
   * Only these repositories (workspace names or `OWNER/NAME`); default: every repository of
   * the workspace that is on GitHub.
   */
  repos?: Array<string>
  /** Only pull requests whose review is requested from you (default false). */
  reviewRequested?: boolean
}

/** Options of `push`. */
export interface PushOptions {
  /** Exactly these repositories. */
  repos?: Array<string>
  /** These repositories and everything that depends on them. */
  affectedBy?: Array<string>
  /** Set the pushed branch's upstream (default true). */
  setUpstream?: boolean
  /** How many repositories at once (default: number of cores). */
  jobs?: number
}

/** Options of `review`. */
export interface ReviewOptions {
  /** The review's text (default empty). */
  body?: string
  /** Line comments: `[{ path, line, body }]` (or the same as JSON text). */
  comments?: Array<{ path: string; line: number; body: string }> | string
}

/** Which repositories an operation covers; both absent means all. */
export interface SelectionOptions {
  /** Exactly these repositories. */
  repos?: Array<string>
  /** These repositories and everything that depends on them. */
  affectedBy?: Array<string>
}

/** Options of `tools.serveMcp(...)`. */
export interface ServeMcpOptions {
  /** Address to listen on (default `127.0.0.1:0`: a free loopback port). */
  http?: string
  /** Bearer token every request must carry (`Authorization: Bearer <token>`). */
  token?: string
  /**
   * Permissions beyond `read` granted to MCP clients (`session`, `write_repos`,
   * `run_agent`, `manage_infra`).
   */
  allow?: Array<string>
  /** `Host` names accepted besides loopback. */
  allowHosts?: Array<string>
}

/**
 * Kills every process group Relay started in this process (agents, environment commands) and
 * everything under them; returns how many were running. `relay.js` calls it on
 * `process.on('exit')`, so runs in flight do not outlive Node.
 */
export declare function shutdown(): number

/** Options of `stop`. */
export interface StopOptions {
  /** Skip the clean shutdown (default false). */
  force?: boolean
}

/** How a JavaScript tool presents itself to the model (the first argument of `register`). */
export interface ToolDefinition {
  /** Unique name: 1 to 64 letters, digits, `_` or `-` (Relay's tools keep theirs). */
  name: string
  /** What the tool does and when to use it, written for the model. */
  description: string
  /**
   * JSON Schema of the arguments object (`{ type: 'object', properties, required }`), as an
   * object or JSON text. Default: no arguments.
   */
  parameters?: Record<string, unknown> | string
  /**
   * The permission a caller needs: `read` (default), `session`, `write_repos`, `run_agent` or
   * `manage_infra`.
   */
  permission?: string
  /** A long tool: the model gets a spoken acknowledgement first (default false). */
  longRunning?: boolean
  /** Fail the call after this many seconds, with a message the model can relay. */
  timeoutSecs?: number
  /**
   * Its effect is hard to undo (default false): every call first asks the `onApproval`
   * callback, and the handler runs only after a yes (refused without a callback).
   */
  needsApproval?: boolean
}

/** Options of `new Tools(...)`: each part adds its family of tools. */
export interface ToolsOptions {
  /**
   * Repository tools (status, switch project, impact, sync, branch, commit) over this
   * workspace.
   */
  workspace?: Workspace
  /**
   * The coding-agent tool (`run_agent_task`) with these defaults, including its `permission`
   * callback; the model gives the task. Needs `workspace`.
   */
  agent?: AgentRunOptions
  /** Environment tools (`env_up`, `env_status`, `env_exec`, ...) over this provider. */
  environments?: Environments
  /**
   * Permissions granted to callers (`read`, `session`, `write_repos`, `run_agent`,
   * `manage_infra`); default all. A tool needing another answers with an error for the model.
   */
  permissions?: Array<string>
}

/** Options of `up`. */
export interface UpOptions {
  /** Resource profile (`small`, `large`, or one from `relay.yaml`). */
  profile?: string
  /** `local`, `lxc` or `qemu`. */
  kind?: string
  /** The provider's template (an LXC template or a VM to clone). */
  template?: string
}

/** The version of the Relay SDK this module was built from. */
export declare function version(): string

/** Options of `VoiceSession.start`; everything is optional. */
export interface VoiceStartOptions {
  /**
   * `realtime` (OpenAI Realtime) or `text` (offline: typed utterances, no model). Default:
   * `realtime` when `url` or an API key is available, else `text`.
   */
  transport?: string
  /** Realtime WebSocket URL (a proxy, Azure, a test server). Default: OpenAI. */
  url?: string
  /** Realtime model (default `gpt-realtime`). */
  model?: string
  /** API key from the app; else `OPENAI_API_KEY`. Never logged. */
  apiKey?: string
  /** System instructions. */
  instructions?: string
  /** Voice name, e.g. `marin`. */
  voice?: string
  /** `pcm16` (24 kHz, default), `pcmu` or `pcma` (8 kHz G.711), both directions. */
  audioFormat?: string
  /** Whether replies carry audio (default true). */
  outputAudio?: boolean
  /** `server_vad` (default), `semantic_vad` or `none` (then call `commitAudio()`). */
  turnDetection?: string
  /** Further session configuration fields as a JSON object text, laid over the above. */
  configJson?: string
}
