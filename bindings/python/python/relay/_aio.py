"""Asyncio glue used by the extension module (kept in Python because it is Python protocol).

- :func:`port` gives each event loop the pipe through which Rust tasks report results.
- :func:`coroutine` turns the futures Rust returns into real coroutines, so they work with
  ``asyncio.create_task`` and friends; cancelling the task cancels the future, which cancels the
  Rust side.
- :func:`json_coroutine` does the same for results that arrive as JSON text; :func:`voice_batch`
  for voice events, whose audio it turns into ``bytes``.
- :func:`iterate` implements ``async for`` over a job's events with one Rust crossing per batch.
- :func:`call_permission` and :func:`call_tool` run an agent's permission callback or a tool
  written in Python (plain or ``async def``) on the loop and hand the answer back to Rust;
  :func:`tool_decorator` is ``Tools.tool``.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from binascii import a2b_base64
from collections.abc import AsyncIterator, Awaitable
from json import dumps, loads
from time import monotonic
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


async def voice_batch(future: Awaitable[str]) -> list[dict[str, Any]] | None:
    """Awaits a batch of voice events (JSON text) and decodes it; assistant audio becomes
    ``bytes`` (JSON carries it as base64)."""
    batch = loads(await future)
    if batch:
        for event in batch:
            if event["type"] == "assistant_audio":
                event["audio"] = a2b_base64(event["audio"])
    return batch


# A batch that is ready when asked for is handed over without a trip through the event loop, so
# a long stream of ready batches would keep other tasks (a websocket heartbeat, a timer) waiting.
# Iteration yields to the loop when it has run this long without doing so.
_YIELD_AFTER_S = 0.005


async def iterate(source: Any) -> AsyncIterator[dict[str, Any]]:
    """Yields each event of ``source`` (a job or a voice session) as a dict, in order, until its
    stream ends. Fetched events wait in ``source._pending()`` until yielded, so a loop left with
    ``break`` loses none: the next iteration (or ``next_batch()``) starts with them."""
    pending = source._pending()
    popleft = pending.popleft
    next_batch = source.next_batch
    last_yield = monotonic()
    while True:
        while pending:
            yield popleft()
        batch = await next_batch()
        if batch is None:
            return
        pending.extend(batch)
        now = monotonic()
        if now - last_yield > _YIELD_AFTER_S:
            await asyncio.sleep(0)
            last_yield = monotonic()


def call_permission(callback: Any, request_json: str, reply: Any) -> None:
    """Calls a permission callback with the request and sends its decision to ``reply`` as JSON
    text; a callback that raises (or whose coroutine raises, or is cancelled) denies the tool
    with the reason."""
    _call(callback, request_json, reply, _send_decision, "its task was cancelled before it answered")


def call_tool(function: Any, arguments_json: str, reply: Any) -> None:
    """Calls a tool written in Python with the arguments dict and sends its result to ``reply``
    as JSON text (a ``str`` result as a JSON string); raising gives the model the exception's
    type and text."""
    _call(function, arguments_json, reply, _send_result, "its task was cancelled before it returned")


def _call(callback: Any, request_json: str, reply: Any, send: Any, cancelled: str) -> None:
    """Runs on the event loop's thread; an ``async def`` continues as a task, cancelled if the
    Rust side stops waiting (its job was cancelled or timed out)."""
    if not reply.wanted():
        return  # the caller was cancelled before the call got here
    try:
        answer = callback(loads(request_json))
    except Exception as error:  # noqa: BLE001 - any failure is the answer, it must not escape
        reply.fail(_failure(error))
        return
    except BaseException as error:  # KeyboardInterrupt, SystemExit: fail, then let it through
        reply.fail(_failure(error))
        raise
    if inspect.isawaitable(answer):
        task = asyncio.ensure_future(answer)
        task.add_done_callback(lambda done: _send_task_answer(done, reply, send, cancelled))
        reply.track(task)
    else:
        send(answer, reply)


def _send_task_answer(task: "asyncio.Future[Any]", reply: Any, send: Any, cancelled: str) -> None:
    if task.cancelled():
        reply.fail(cancelled)
    elif task.exception() is not None:
        reply.fail(_failure(task.exception()))
    else:
        send(task.result(), reply)


def _send_decision(answer: Any, reply: Any) -> None:
    try:
        reply.send(dumps(answer))
    except (TypeError, ValueError) as error:
        reply.fail(
            f"it returned {answer!r}, which is not JSON ({error}); return True/False, "
            '"allow"/"deny" or a dict like {"decision": "deny", "message": "..."}'
        )


def _send_result(result: Any, reply: Any) -> None:
    try:
        text = dumps(result)
    except (TypeError, ValueError) as error:
        reply.fail(
            f"the tool returned a {type(result).__name__}, which is not JSON-serializable "
            f"({error}); return a dict, list, str, number, bool or None"
        )
        return
    reply.send(text)


def _failure(error: BaseException) -> str:
    # Relay prefixes "the permission callback failed: " (naming the denied tool) or the tool's
    # failure context.
    return f"{type(error).__name__}: {error}"


def tool_decorator(
    tools: Any,
    name: Any,
    description: str | None,
    parameters: Any,
    permission: str | None,
    long_running: bool,
    timeout_secs: int | None,
    needs_approval: bool = False,
) -> Any:
    """What ``Tools.tool(...)`` returns: registers the decorated function (under its own name
    unless ``name`` is given, described by its docstring unless ``description`` is) and returns
    it unchanged. ``@tools.tool`` without parentheses passes the function as ``name``."""

    if name is not None and not isinstance(name, str) and not callable(name):
        raise TypeError(f"tool name must be a str (got {type(name).__name__})")

    def register(function: Any) -> Any:
        tools.register(
            name if isinstance(name, str) else getattr(function, "__name__", ""),
            function,
            description=description if description is not None else (inspect.getdoc(function) or ""),
            parameters=parameters,
            permission=permission,
            long_running=long_running,
            timeout_secs=timeout_secs,
            needs_approval=needs_approval,
        )
        return function

    return register(name) if callable(name) else register
