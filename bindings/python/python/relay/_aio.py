"""Asyncio glue used by the extension module (kept in Python because it is Python protocol).

- :func:`port` gives each event loop the pipe through which Rust tasks report results.
- :func:`coroutine` turns the futures Rust returns into real coroutines, so they work with
  ``asyncio.create_task`` and friends; cancelling the task cancels the future, which cancels the
  Rust side.
- :func:`json_coroutine` does the same for results that arrive as JSON text.
- :func:`iterate` implements ``async for`` over a job's events with one Rust crossing per batch.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable
from json import loads
from typing import Any, TypeVar

from relay._relay import _CompletionPort as CompletionPort

T = TypeVar("T")

_ports: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CompletionPort]" = weakref.WeakKeyDictionary()


def port(loop: asyncio.AbstractEventLoop) -> CompletionPort:
    """The loop's completion port: Rust tasks report results through it (see completion.rs)."""
    found = _ports.get(loop)
    if found is None:
        found = CompletionPort()
        loop.add_reader(found.fileno(), found.drain)
        _ports[loop] = found
    return found


async def coroutine(future: Awaitable[T]) -> T:
    """Awaits ``future``; exists so that every async call of the SDK is a coroutine."""
    return await future


async def json_coroutine(future: Awaitable[str]) -> Any:
    """Awaits ``future`` (JSON text) and decodes it here, on the event loop's thread: decoding on
    the Rust side would take the GIL a second time from a tokio thread, which costs more."""
    return loads(await future)


async def iterate(job: Any) -> AsyncIterator[dict[str, Any]]:
    """Yields each event of ``job`` as a dict, in order, until the job's stream ends."""
    next_batch = job.next_batch
    while True:
        batch = await next_batch()
        if batch is None:
            return
        for event in batch:
            yield event
