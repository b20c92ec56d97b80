"""Type stubs of the ``relay._relay`` extension module (re-exported by ``relay``)."""

import builtins
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from os import PathLike
from typing import Any, Literal, TypedDict

class Event(TypedDict, total=False):
    """One event of a job: the envelope, a ``type`` tag and the fields of that type."""

    job: str
    seq: int
    at_ms: int
    type: str  # job_started, progress, log, repo_finished, agent, job_finished, ...
    # job_started
    operation: str
    total: int | None
    # progress
    done: int
    repo: str | None
    message: str
    # log
    level: Literal["debug", "info", "warn", "error"]
    line: str
    # repo_finished
    outcome: Literal["success", "failed", "skipped", "cancelled"]
    summary: str
    # job_finished
    status: Literal["succeeded", "failed", "cancelled"]
    error: str | None

class RepoSpec(TypedDict):
    name: str
    url: str | None
    path: str
    dependencies: list[str]
    sync_strategy: Literal["main_branch", "feature_branch"]
    auto_sync: bool

class DependencyGraph(TypedDict):
    repos: list[str]
    edges: list[dict[str, str]]
    batches: list[list[str]]

class Impact(TypedDict):
    changed: list[str]
    direct: list[str]
    transitive: list[str]
    batches: list[list[str]]

class CommitInfo(TypedDict):
    sha: str
    summary: str
    author: str
    time: str

class RepoStatus(TypedDict):
    name: str
    path: str
    branch: str | None
    head: str | None
    upstream: str | None
    ahead: int | None
    behind: int | None
    staged: int
    unstaged: int
    untracked: int
    conflicted: int
    last_commit: CommitInfo | None
    error: str | None

class PermissionRequest(TypedDict):
    """What a permission callback is asked about: one tool use of the agent."""

    repo: str
    tool_name: str  # Bash, Write, Edit, ...
    input: dict[str, Any]
    tool_use_id: str | None
    description: str | None

PermissionAnswer = bool | Literal["allow", "deny"] | dict[str, Any]
"""``True``/``"allow"``, ``False``/``"deny"``, ``{"decision": "allow", "updated_input": {...}}``,
``{"decision": "deny", "message": "..."}`` or ``{"decision": "ask", "question": "..."}``."""

PermissionCallback = Callable[[PermissionRequest], PermissionAnswer | Awaitable[PermissionAnswer]]
"""A plain function or an ``async def``; it runs on the event loop that started the run. If it
raises or answers something else, the tool is denied with the reason."""

class RepoRun(TypedDict):
    name: str
    outcome: Literal["success", "failed", "skipped", "cancelled"]
    session_id: str | None
    num_turns: int
    cost_usd: float
    changed_files: list[str]
    error: str | None

class RunReport(TypedDict):
    repos: list[RepoRun]

class RelayError(Exception):
    """Base class of every error raised by Relay."""

    code: str
    """A stable identifier of the error kind (``"unknown_repo"``, ``"config"``, ...)."""

class ConfigError(RelayError):
    """The workspace configuration (relay.yaml) is missing or invalid."""

class RepoError(RelayError):
    """A repository operation failed."""

class AgentError(RelayError):
    """A coding agent could not run (binary missing or too old, crash, timeout)."""

class VoiceError(RelayError):
    """A voice session failed (missing API key, connection, service error)."""

class InfraError(RelayError):
    """An environment operation failed (provider configuration, API error, unknown environment)."""

class GitHubError(RelayError):
    """A GitHub operation failed or was refused (token, rate limit, not found, failing checks)."""

class StoreError(RelayError):
    """Relay's store (SQLite or Redis) could not be reached or opened, or failed; the message
    names its URL with any password redacted (codes ``store_unavailable``,
    ``store_invalid_url``, ``store_newer_schema``, ``store_backend``, ``store_corrupt``)."""

class JobCancelledError(RelayError):
    """The job was cancelled."""

class UsageError(RelayError):
    """The API was used wrongly; the message says how to use it."""

class InternalError(RelayError):
    """A bug in Relay; please report it with the message."""

class Job:
    """A running long operation streaming events.

    ``async for event in job`` yields its events as dicts (leaving the loop early loses nothing:
    the next loop or ``next_batch()`` starts where it stopped); ``await job.wait()`` returns its
    result. Cancelling the asyncio task that awaits it cancels the job (even before the task ran);
    so does dropping the last reference.
    """

    @property
    def id(self) -> str: ...
    def cancel(self) -> None:
        """Asks the job to stop; the stream then ends with a cancelled ``job_finished`` event."""
    def wait(self) -> Coroutine[Any, Any, Any]:
        """The job's result; raises the job's error (``JobCancelledError`` if cancelled)."""
    def next_batch(self, max: int = 512) -> Coroutine[Any, Any, list[Event] | None]:
        """The next events (at most ``max``), or None once the stream is over."""
    def __aiter__(self) -> AsyncIterator[Event]: ...

class Workspace:
    """A workspace: the repositories of relay.yaml, their dependency graph and operations."""

    @staticmethod
    def open(path: str | PathLike[str] | None = None) -> Workspace:
        """Opens a workspace from a configuration file, or by searching a directory and its
        parents for relay.yaml (the current directory when ``path`` is None)."""
    @property
    def root(self) -> str: ...
    @property
    def config_file(self) -> str | None: ...
    def repos(self) -> list[RepoSpec]: ...
    def graph(self) -> DependencyGraph: ...
    def impact(self, changed: list[str]) -> Impact: ...
    def status(
        self, repos: list[str] | None = None, affected_by: list[str] | None = None
    ) -> Coroutine[Any, Any, list[RepoStatus]]: ...
    def changed_since(self, rev: str) -> Coroutine[Any, Any, list[str]]: ...
    def changed_files(self, repo: str, since: str | None = None) -> Coroutine[Any, Any, list[str]]: ...
    def sync(
        self, repos: list[str] | None = None, affected_by: list[str] | None = None, jobs: int = 0
    ) -> Job:
        """Result: ``{"repos": [{"name", "action", "reason", "before", "after"}], "triggered_rules": [...]}``."""
    def branch(
        self, name: str, repos: list[str] | None = None, affected_by: list[str] | None = None, jobs: int = 0
    ) -> Job:
        """Result: ``{"repos": [{"name", "action", "reason", "head"}]}``."""
    def commit(
        self,
        message: str,
        repos: list[str] | None = None,
        affected_by: list[str] | None = None,
        all: bool = False,
        jobs: int = 0,
    ) -> Job:
        """Result: ``{"repos": [{"name", "action", "reason", "sha"}]}``."""
    def push(
        self,
        repos: list[str] | None = None,
        affected_by: list[str] | None = None,
        set_upstream: bool = True,
        jobs: int = 0,
    ) -> Job:
        """Result: ``{"repos": [{"name", "action", "reason"}]}``."""
    def run_agent(
        self,
        prompt: str,
        *,
        agent: Literal["claude", "shell"] | None = None,
        repos: list[str] | None = None,
        affected_by: list[str] | None = None,
        jobs: int = 0,
        keep_going: bool = False,
        model: str | None = None,
        max_turns: int | None = None,
        max_budget_usd: float | None = None,
        allowed_tools: list[str] | None = None,
        disallowed_tools: list[str] | None = None,
        permission_mode: Literal["default", "acceptEdits", "plan", "dontAsk", "bypassPermissions"] | None = None,
        idle_timeout_secs: int | None = None,
        timeout_secs: int | None = None,
        claude_binary: str | PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        permission: PermissionCallback | None = None,
        on_approval: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Job:
        """Runs a coding agent (Claude Code by default; ``"shell"`` runs ``prompt`` as a command
        line) in each selected repository in dependency order. Events include every agent event
        as ``{"type": "agent", "repo", "event": {...}}``; the result is a :class:`RunReport`.
        ``permission`` decides the tools Claude Code asks about (without it and without
        ``on_approval``, tools outside ``allowed_tools`` are denied); it needs a running event
        loop. ``on_approval`` (as :meth:`Tools.on_approval`) is asked when ``permission``
        answers ``{"decision": "ask", ...}``, or about every such tool without ``permission``:
        "Claude wants to run `npm publish` in frontend. Allow it?". Cancelling the job kills
        the agents' processes. Raises ``RepoError``/``UsageError`` at once for a bad request."""

class Environment(TypedDict):
    name: str
    provider: str  # "local" or "proxmox"
    kind: Literal["lxc", "qemu", "local"]
    id: str
    node: str | None
    status: Literal["running", "stopped", "paused", "unknown"]
    lock: str | None
    profile: str | None
    cores: int | None
    memory_mb: int | None
    uptime_secs: int | None

class Snapshot(TypedDict):
    name: str
    description: str
    created_at: int | None
    parent: str | None

class ExecOutput(TypedDict):
    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str

class Environments:
    """Development environments through one provider: local directories (offline default) or
    Proxmox VE guests. Queries are coroutines; long operations return a :class:`Job`.
    Errors are ``InfraError`` with a ``code`` (``not_found``, ``invalid_request``, ...)."""

    @staticmethod
    def open(
        provider: Literal["local", "proxmox"] | None = None,
        workspace: Workspace | None = None,
        local_root: str | PathLike[str] | None = None,
    ) -> Environments:
        """Opens a provider, chosen like ``relay env`` chooses it when ``provider`` is None.
        ``workspace`` gives the ``infra:`` settings and the repositories cloned into local
        environments. Proxmox credentials come from the environment, never from arguments."""
    @property
    def provider(self) -> str: ...
    def up(
        self, name: str, profile: str | None = None, kind: Literal["lxc", "qemu"] | None = None, template: str | None = None
    ) -> Job:
        """Provisions ``name`` when missing, starts it when stopped, keeps it when running.
        Result: :class:`Environment`."""
    def status(self, name: str) -> Coroutine[Any, Any, Environment]: ...
    def list(self) -> Coroutine[Any, Any, builtins.list[Environment]]: ...
    def exec(
        self,
        name: str,
        command: builtins.list[str],
        stdin: str | None = None,
        cwd: str | None = None,
        timeout_secs: int | None = None,
    ) -> Coroutine[Any, Any, ExecOutput]:
        """Runs ``command`` (program first, no shell) in ``name``; a non-zero exit is a result."""
    def snapshot(self, name: str, snapshot: str) -> Job:
        """Result: :class:`Snapshot`."""
    def snapshots(self, name: str) -> Coroutine[Any, Any, builtins.list[Snapshot]]: ...
    def rollback(self, name: str, snapshot: str) -> Job:
        """Result: :class:`Environment`."""
    def stop(self, name: str, force: bool = False) -> Job:
        """Result: :class:`Environment`."""
    def down(self, name: str) -> Job:
        """Destroys ``name`` and everything in it. Result: None."""

class ToolSpec(TypedDict):
    name: str
    description: str
    parameters: dict[str, Any]  # JSON Schema
    permission: Literal["read", "session", "write_repos", "run_agent", "manage_infra"]
    long_running: bool
    timeout: int | None  # milliseconds
    needs_approval: bool

ToolFunction = Callable[[dict[str, Any]], Any | Awaitable[Any]]
"""A tool written in Python: takes the (schema-validated) arguments dict, returns any
JSON-serializable value (a ``str`` reaches the model as a JSON string); may be ``async def``."""

ToolPermission = Literal["read", "session", "write_repos", "run_agent", "manage_infra", "team", "admin"]

class ToolResult(TypedDict):
    ok: bool
    value: Any  # the tool's result, or {"error", "hint"} when ok is False

class Tools:
    """Relay's tool registry: what a voice model (Relay's or the application's own) calls."""

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        agent: Literal["claude", "shell"] | dict[str, Any] | None = None,
        permission: PermissionCallback | None = None,
        environments: Environments | None = None,
        permissions: list[str] | None = None,
    ) -> None:
        """Repository tools over ``workspace``; the agent tool ``run_agent_task`` when ``agent``
        is given (an agent name or a dict of :meth:`Workspace.run_agent` options such as
        ``claude_binary``, ``env``, ``allowed_tools``), its permission requests answered by
        ``permission`` (needs a running event loop); environment tools over ``environments``;
        ``permissions`` limits callers to some of read, session, write_repos, run_agent,
        manage_infra (None grants all)."""
    def specs(self) -> list[ToolSpec]: ...
    def realtime_tools(self) -> list[dict[str, Any]]:
        """The tools in OpenAI Realtime ``session.tools`` format: ``{"type": "function", "name",
        "description", "parameters"}``."""
    def primary_project(self) -> dict[str, Any] | None:
        """``{"name", "related"}`` once ``switch_project`` chose one."""
    def invoke(self, name: str, arguments: str | dict[str, Any] | None = None) -> Job:
        """Calls a tool; ``arguments`` as a dict or the model's JSON text. Events: the tool's
        progress. Result: :class:`ToolResult` (unknown tools and bad arguments are ``ok: False``
        with a hint, not exceptions)."""
    def call(self, name: str, arguments: str | dict[str, Any] | None = None) -> Coroutine[Any, Any, ToolResult]:
        """``invoke`` and await its result; cancelling stops the tool."""
    def on_approval(self, callback: Callable[[dict[str, Any]], Any]) -> None:
        """Answers approval questions from now on: ``callback(request)`` (plain or ``async
        def``, run on the loop running now) gets ``{id, question, action, requested_by,
        session, approvers, timeout_ms}`` before a tool that is hard to undo (``env_down``,
        ``env_rollback``, ``merge_pull_requests``, ``push_branches``, ``commit_changes`` with
        ``push``, a tool registered with ``needs_approval=True``) or the coding agent's permission question,
        and returns ``"allow"``, ``"deny"``, ``"allow_for_session"`` or ``{"decision": ...,
        "reason": ..., "user": ...}``. Raising, anything else or no answer within
        ``timeout_ms`` denies. Without a callback such tools are refused."""
    def register(
        self,
        name: str,
        function: ToolFunction,
        *,
        description: str,
        parameters: dict[str, Any] | str | None = None,
        permission: ToolPermission | None = None,
        long_running: bool = False,
        timeout_secs: int | None = None,
        needs_approval: bool = False,
    ) -> None:
        """Adds ``function`` as tool ``name`` (1-64 letters, digits, ``_``, ``-``; not taken),
        next to Relay's tools. ``parameters`` is the JSON Schema of the arguments object (None:
        no arguments); arguments that do not match never reach the function (the model gets
        ``ok: False`` with what is wrong). It runs on the event loop running now, so register
        from a coroutine; a plain function blocks that loop while it runs (use ``async def`` for
        slow work). Raising gives the model ``ok: False`` with ``"ExceptionType: text"``;
        cancelling the call (or ``timeout_secs`` passing) cancels an ``async def``'s task.
        With ``needs_approval=True`` (an effect that is hard to undo) every call first asks the
        :meth:`on_approval` callback and the function runs only after a yes; a no, no answer or
        no callback gives the model ``ok: False`` and the function never runs.
        Voice sessions started earlier keep the tools they started with. Raises ``UsageError``
        for a bad name, a taken name, a missing description, a schema that is not an object
        schema, an unknown permission, or no running loop; ``TypeError`` if not callable."""
    def tool(
        self,
        name: str | ToolFunction | None = None,
        *,
        description: str | None = None,
        parameters: dict[str, Any] | str | None = None,
        permission: ToolPermission | None = None,
        long_running: bool = False,
        timeout_secs: int | None = None,
        needs_approval: bool = False,
    ) -> Callable[[ToolFunction], ToolFunction]:
        """Decorator form of :meth:`register` (``@tools.tool(parameters=...)`` or
        ``@tools.tool``): the function's own name unless ``name``, its docstring unless
        ``description``; returns the function unchanged."""
    def serve_mcp(
        self,
        *,
        http: str | None = None,
        token: str | None = None,
        allow: list[ToolPermission] | None = None,
        allow_hosts: list[str] | None = None,
    ) -> McpServer:
        """Serves these tools (Relay's and those registered so far) to MCP clients over
        Streamable HTTP at ``http`` (default ``"127.0.0.1:0"``): read-only unless ``allow``
        adds permissions; with ``token``, requests need ``Authorization: Bearer <token>``.
        Raises ``UsageError`` for a bad address or permission."""

class McpServer:
    """A running MCP server (see :meth:`Tools.serve_mcp`); stops on ``close()`` or when
    garbage-collected."""

    @property
    def url(self) -> str:
        """The endpoint: ``http://<host>:<port>/mcp``."""
    def close(self) -> None:
        """Stops serving."""

class VoiceEvent(TypedDict, total=False):
    """One event of a voice session: a ``type`` tag and its fields."""

    type: str  # session_started, user_transcript, assistant_text_delta, assistant_text,
    # assistant_audio, tool_call_started, tool_progress, tool_call_finished, interrupted,
    # response_done, rate_limits, reconnecting, reconnected, warning, error, raw, closed
    item_id: str
    text: str
    delta: str
    audio: bytes  # assistant_audio: in the session's output format (PCM16 24 kHz by default)
    call_id: str
    name: str
    arguments: str
    ok: bool
    output: str
    message: str
    audio_end_ms: int
    status: str
    code: str
    reason: str

class VoiceSession:
    """A voice conversation whose model calls a :class:`Tools` registry.

    ``async for event in session`` yields :class:`VoiceEvent` dicts until ``closed``; leaving the
    loop early loses nothing (the next loop starts where it stopped). ``async with`` closes it.
    """

    @staticmethod
    def start(
        tools: Tools,
        *,
        transport: Literal["realtime", "text"] | None = None,
        url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        instructions: str | None = None,
        voice: str | None = None,
        audio_format: Literal["pcm16", "pcmu", "pcma"] | None = None,
        output_audio: bool | None = None,
        turn_detection: Literal["server_vad", "semantic_vad", "none"] | None = None,
        config: dict[str, Any] | None = None,
    ) -> Coroutine[Any, Any, VoiceSession]:
        """Connects to OpenAI Realtime (``api_key`` or ``OPENAI_API_KEY``; ``url`` for a proxy or
        test server) or starts the offline text transport. Raises ``VoiceError`` (e.g. a rejected
        key, never echoed) or ``UsageError`` for bad options."""
    @property
    def transport(self) -> str:
        """``"openai-realtime"`` or ``"text"``."""
    def next_batch(self, max: int = 512) -> Coroutine[Any, Any, list[VoiceEvent] | None]: ...
    def __aiter__(self) -> AsyncIterator[VoiceEvent]: ...
    def send_text(self, text: str) -> None: ...
    def send_audio(self, audio: bytes | bytearray) -> None:
        """Audio in the input format (PCM16 24 kHz mono little-endian by default)."""
    def commit_audio(self) -> None:
        """Ends the spoken turn (only with ``turn_detection="none"``)."""
    def report_playback(self, item_id: str, played_ms: int) -> None:
        """How much of assistant item ``item_id`` the user has heard: a barge-in truncates the
        model's memory of the reply there."""
    def close(self) -> None: ...
    def metrics(self) -> dict[str, Any]: ...
    async def __aenter__(self) -> VoiceSession: ...
    async def __aexit__(self, *exc: object) -> bool: ...

def shutdown() -> int:
    """Kills every process Relay started in this interpreter that is still running (agents,
    environment commands, and what they started); returns how many process groups there were.
    Registered with ``atexit`` when ``relay`` is imported."""

def version() -> str:
    """The version of the Relay SDK this module was built from."""

class GitHub:
    """GitHub over a workspace's repositories (docs/github.md). Results are dicts and lists in the
    JSON shapes of ``relay briefing --json``, ``relay pr ... --json`` and ``relay issues --json``."""

    @staticmethod
    def open(
        workspace: Workspace,
        token: str | None = None,
        api_url: str | None = None,
        graphql_url: str | None = None,
    ) -> GitHub:
        """The token from ``token``, else GITHUB_TOKEN, else GH_TOKEN (``GitHubError`` code
        ``github_missing_token`` when none); addresses from the arguments or GITHUB_API_URL /
        GITHUB_GRAPHQL_URL."""
    def briefing(self) -> Coroutine[Any, Any, dict[str, Any]]:
        """``{"repos": [...], "highlights": [...]}``, highlights most urgent first."""
    def pull_requests(
        self, repos: list[str] | None = None, review_requested: bool = False
    ) -> Coroutine[Any, Any, list[dict[str, Any]]]:
        """Open pull requests, each with the workspace's ``name``."""
    def pull_request(self, repo: str, number: int) -> Coroutine[Any, Any, dict[str, Any]]:
        """One pull request in full (files, reviews, review comments, checks) with a spoken ``summary``."""
    def checks(self, repo: str, branch: str) -> Coroutine[Any, Any, dict[str, Any]]:
        """The checks of a branch: ``{"state", "passed", "failed", "pending", "skipped", "failing", "checks"}``."""
    def issues(self, repos: list[str] | None = None) -> Coroutine[Any, Any, list[dict[str, Any]]]:
        """Open issues assigned to you, urgent first."""
    def create_pull_requests(
        self,
        branch: str,
        title: str,
        body: str = "",
        base: str | None = None,
        draft: bool = False,
        repos: list[str] | None = None,
    ) -> Coroutine[Any, Any, list[dict[str, Any]]]:
        """Pull requests for ``branch`` across repositories, dependencies first, each listing the others."""
    def review(
        self,
        repo: str,
        number: int,
        event: Literal["approve", "request_changes", "comment"],
        body: str = "",
        comments: list[dict[str, Any]] | None = None,
    ) -> Coroutine[Any, Any, dict[str, Any]]:
        """Submits a review; ``comments`` are ``{"path", "line", "body"}``."""
    def merge(
        self, branch: str, method: Literal["merge", "squash", "rebase"] = "merge", repos: list[str] | None = None
    ) -> Coroutine[Any, Any, list[dict[str, Any]]]:
        """Merges in dependency order when checks and reviews allow; else ``GitHubError`` code ``refused``."""
    def create_issue(
        self, repo: str, title: str, body: str = "", labels: list[str] = ...
    ) -> Coroutine[Any, Any, dict[str, Any]]:
        """Opens an issue: ``{"number", "url"}``."""

# --- Memory (issue 12, docs/store.md) -----------------------------------------------------------

class WhoAmI(TypedDict):
    """The acting user."""

    user: str
    role: Literal["developer", "team_lead", "admin"]
    permissions: list[str]  # the tool registry's: read, session, ..., team, admin
    plan_permissions: list[str]  # the plan's: repository_write, container_manage, ...
    limits: dict[str, Any]  # {"profiles": [...], "max_environments": int | None}

class SessionSummary(TypedDict):
    """A saved session in a listing."""

    id: str
    user: str
    updated_ms: int
    expires_ms: int
    primary: str | None
    turns: int

class Turn(TypedDict):
    """One turn of a saved conversation."""

    role: Literal["user", "assistant", "tool"]
    text: str
    tool: dict[str, Any] | None  # {"name", "arguments", "output"} for a tool turn
    at_ms: int

class SessionRecord(TypedDict):
    """A saved session with its turns and each project's context."""

    id: str
    user: str
    created_ms: int
    updated_ms: int
    primary: str | None
    projects: dict[str, dict[str, Any]]  # {"project", "active_repos", "operation"}
    turns: list[Turn]

class JobRecord(TypedDict):
    """A durable job as stored."""

    id: str
    operation: str  # sync, agent_run
    user: str
    state: Literal["queued", "running", "succeeded", "failed", "cancelled", "interrupted"]
    spec: dict[str, Any]
    done: list[str]
    resume: dict[str, str]
    owner: str | None
    heartbeat_ms: int
    cancel_requested: bool
    created_ms: int
    updated_ms: int
    message: str | None

class JobWithEvents(TypedDict):
    """``Memory.job``: the record and every event it recorded."""

    job: JobRecord
    events: list[Event]

class AuditEntry(TypedDict):
    """What happened."""

    at_ms: int
    user: str
    role: str
    session: str | None
    kind: Literal["tool", "command"]
    action: str
    args: Any
    outcome: Literal["ok", "failed", "denied"]
    detail: str | None
    duration_ms: int

class AuditRecord(TypedDict):
    """An audit entry as stored: numbered and chained."""

    seq: int
    entry: AuditEntry
    prev_hash: str
    hash: str

class AuditVerdict(TypedDict, total=False):
    """``{"status": "intact", "records"}`` or ``{"status": "broken", "seq", "problem"}``."""

    status: Literal["intact", "broken"]
    records: int
    seq: int
    problem: str

class Memory:
    """Relay's memory as the acting user: the store, sessions, durable jobs and the audit log.

    Open it with ``memory = await Memory.open(workspace, store=..., user=...)``. A store that
    cannot be reached or opened raises ``StoreError`` naming its URL (password redacted); a user
    outside relay.yaml's ``team:`` or a wrong token raises ``UsageError`` (code
    ``unauthenticated``); a call the role does not allow raises ``UsageError`` (code ``denied``)
    naming the role that would be allowed."""

    @staticmethod
    def open(
        workspace: str | PathLike[str] | None = None,
        *,
        store: str | None = None,
        user: str | None = None,
        token: str | None = None,
    ) -> Coroutine[Any, Any, Memory]:
        """The workspace (discovered from the current directory when None), the store
        (``sqlite:PATH`` or ``redis://HOST:PORT/DB``; else RELAY_STORE_URL, relay.yaml's
        ``store.url``, else ``<workspace>/.relay/relay.db``) and the acting user (``token``, else
        ``user``, else RELAY_USER, else the OS user)."""
    @property
    def store_url(self) -> str:
        """The store's URL, password redacted."""
    def whoami(self) -> WhoAmI:
        """The acting user, their role, permissions and limits."""
    def sessions(self) -> Coroutine[Any, Any, list[SessionSummary]]:
        """Saved sessions (yours; everyone's for team leads), most recent first."""
    def session(self, name: str) -> Coroutine[Any, Any, SessionRecord]:
        """One saved session; ``UsageError`` (code ``unknown_session``) when there is none."""
    def delete_session(self, name: str) -> Coroutine[Any, Any, bool]:
        """Deletes a saved session before it expires; False when there was none."""
    def tools(self, session: str | None = None) -> Coroutine[Any, Any, Tools]:
        """The tools as the acting user (role enforced, every call audited, denials too). With
        ``session``, a ``VoiceSession`` on them saves its conversation under that name and
        resumes it (history replayed) when it exists."""
    def jobs(self) -> Coroutine[Any, Any, list[JobRecord]]:
        """Durable jobs, newest first (yours; everyone's for team leads)."""
    def job(self, id: str) -> Coroutine[Any, Any, JobWithEvents]:
        """One job and its events; ``UsageError`` for an unknown id."""
    def enqueue_sync(
        self, repos: list[str] | None = None, affected_by: list[str] | None = None
    ) -> Coroutine[Any, Any, JobRecord]:
        """Queues a sync as a durable job (state ``queued``) for a worker or ``resume_job``."""
    def resume_job(self, id: str) -> Coroutine[Any, Any, Job]:
        """Runs what is left of an interrupted, failed or queued job here; a ``Job`` streaming
        its events (repositories already done are not done again)."""
    def cancel_job(self, id: str) -> Coroutine[Any, Any, JobRecord]:
        """Cancels a job (a running one stops within a heartbeat, from any process)."""
    def audit(
        self, since: str | None = None, user: str | None = None, limit: int | None = None
    ) -> Coroutine[Any, Any, list[AuditRecord]]:
        """Audit entries, oldest first: of the last ``since`` (``90s``, ``30m``, ``8h``, ``7d``),
        of ``user`` (someone else's need the team_lead role), the newest ``limit``."""
    def verify_audit(self) -> Coroutine[Any, Any, AuditVerdict]:
        """Checks the hash chain: intact, or the first entry changed, removed or moved (needs
        the team_lead role)."""
