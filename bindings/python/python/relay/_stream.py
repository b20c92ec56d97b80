"""Async iteration over a job's events, one Rust crossing per batch (used by ``Job.__aiter__``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


async def iterate(job: Any) -> AsyncIterator[dict[str, Any]]:
    """Yields each event of ``job`` as a dict, in order, until the job's stream ends."""
    next_batch = job.next_batch
    while True:
        batch = await next_batch()
        if batch is None:
            return
        for event in batch:
            yield event
