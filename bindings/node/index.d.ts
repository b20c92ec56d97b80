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
 * One event of a voice session, tagged by `type`: `session_started`, `user_transcript`,
 * `assistant_text_delta`, `assistant_text`, `assistant_audio` (`audio` is base64), `tool_call_started`,
 * `tool_progress`, `tool_call_finished`, `interrupted`, `response_done`, `error`, `closed`, ...
 */
export type VoiceEvent = {
  type: string
  [field: string]: unknown
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

/** Options of `sync` and `branch`. */
export interface JobOptions {
  /** Exactly these repositories. */
  repos?: Array<string>
  /** These repositories and everything that depends on them. */
  affectedBy?: Array<string>
  /** How many repositories at once (default: number of cores). */
  jobs?: number
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

/** Which repositories an operation covers; both absent means all. */
export interface SelectionOptions {
  /** Exactly these repositories. */
  repos?: Array<string>
  /** These repositories and everything that depends on them. */
  affectedBy?: Array<string>
}

/**
 * Starts a job that streams `events` progress events and returns `events` (or fails as asked).
 * For tests and for measuring the cost of streaming events into Node.
 */
export declare function syntheticJob(options: SyntheticJobOptions): Job

/** Options of `syntheticJob`. */
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
