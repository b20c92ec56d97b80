"""Relay: voice-driven, multi-repository agentic coding, as a Python library.

Everything here is implemented in Rust (the ``relay._relay`` extension module); this package only
re-exports it. Long operations return a :class:`Job`: iterate over its events with ``async for``,
await its result with ``await job.wait()``, stop it with ``job.cancel()`` or by cancelling the
asyncio task that awaits it.
"""

from relay._relay import (
    AgentError,
    ConfigError,
    InfraError,
    InternalError,
    Job,
    JobCancelledError,
    RelayError,
    RepoError,
    UsageError,
    VoiceError,
    Workspace,
    synthetic_job,
    version,
)

__all__ = [
    "AgentError",
    "ConfigError",
    "InfraError",
    "InternalError",
    "Job",
    "JobCancelledError",
    "RelayError",
    "RepoError",
    "UsageError",
    "VoiceError",
    "Workspace",
    "synthetic_job",
    "version",
]

__version__ = version()
