"""Relay: voice-driven, multi-repository agentic coding, as a Python library.

Everything here is implemented in Rust (the ``relay._relay`` extension module); this package only
re-exports it. Long operations return a :class:`Job`: iterate over its events with ``async for``,
await its result with ``await job.wait()``, stop it with ``job.cancel()`` or by cancelling the
asyncio task that awaits it.

- :class:`Workspace`: repositories, status, sync, branch, commit, push, and agent runs
  (``ws.run_agent(prompt, permission=callback)``).
- :class:`Environments`: development environments (local or Proxmox): up, exec, snapshot,
  rollback, down.
- :class:`Tools`: the tool registry a voice model calls (specs, OpenAI Realtime format, invoke),
  including the application's own tools written in Python (``tools.register(name, fn,
  description=..., parameters=schema)`` or ``@tools.tool(...)``; plain or ``async def``, run on
  the event loop that registered them).
- :class:`VoiceSession`: a voice or text conversation over the tools (``async for event in s``).

When the interpreter exits, every process Relay started that is still running (agents,
environment commands, and what they started) is killed: :func:`shutdown` is registered with
``atexit``. If Python is killed outright (SIGKILL), Linux still ends them (a parent-death signal
and Relay's watchdog process); on macOS they survive that.
- :class:`Memory`: the store, the acting user (``whoami()``), saved sessions, durable jobs
  (list, show, resume, cancel) and the audit log (query, verify): ``await Memory.open(ws)``.
- :class:`GitHub`: the morning briefing, pull requests, checks, reviews, merges and issues across
  the workspace (``GitHub.open(ws)``; ``GITHUB_TOKEN`` or ``GH_TOKEN``).
"""

import atexit

from relay._relay import (
    AgentError,
    ConfigError,
    Environments,
    GitHub,
    GitHubError,
    InfraError,
    InternalError,
    Job,
    JobCancelledError,
    McpServer,
    Memory,
    RelayError,
    RepoError,
    StoreError,
    Tools,
    UsageError,
    VoiceError,
    VoiceSession,
    Workspace,
    shutdown,
    version,
)

atexit.register(shutdown)

__all__ = [
    "AgentError",
    "ConfigError",
    "Environments",
    "GitHub",
    "GitHubError",
    "InfraError",
    "InternalError",
    "Job",
    "JobCancelledError",
    "McpServer",
    "Memory",
    "RelayError",
    "RepoError",
    "StoreError",
    "Tools",
    "UsageError",
    "VoiceError",
    "VoiceSession",
    "Workspace",
    "shutdown",
    "version",
]

__version__ = version()
