"""Type stubs of the ``relay._relay`` extension module (re-exported by ``relay``)."""

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

class JobCancelledError(RelayError):
    """The job was cancelled."""

class UsageError(RelayError):
    """The API was used wrongly; the message says how to use it."""

class InternalError(RelayError):
    """A bug in Relay; please report it with the message."""

class Job:
    """A running long operation streaming events.

    ``async for event in job`` yields its events as dicts; ``await job.wait()`` returns its result.
    Cancelling the asyncio task that awaits it cancels the job; so does dropping the last reference.
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
    ) -> Job:
        """Runs a coding agent (Claude Code by default; ``"shell"`` runs ``prompt`` as a command
        line) in each selected repository in dependency order. Events include every agent event
        as ``{"type": "agent", "repo", "event": {...}}``; the result is a :class:`RunReport`.
        ``permission`` decides the tools Claude Code asks about (without it, tools outside
        ``allowed_tools`` are denied); it needs a running event loop. Cancelling the job kills
        the agents' processes. Raises ``RepoError``/``UsageError`` at once for a bad request."""

def version() -> str:
    """The version of the Relay SDK this module was built from."""

def synthetic_job(events: int, interval_ms: int = 0, fail_with: str | None = None) -> Job:
    """A job streaming ``events`` progress events, returning ``events`` (or failing with a
    RepoError of code ``synthetic_failure``); for tests and boundary benchmarks."""
