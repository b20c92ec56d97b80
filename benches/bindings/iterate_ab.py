"""A/B of the two ways `async for` can hand a job's events to Python, in one process: the
binding's iterator (events wait in the job's deque until yielded, so a loop left early loses
none) and the list-based loop it replaced. Prints the median events/s of each.

    .venv/bin/python benches/bindings/iterate_ab.py [EVENTS=100000] [ROUNDS=7]

Needs relay built with the cargo feature `testing` (relay._testing), as
scripts/test-bindings.sh python and benches/bindings/run.sh build it.
"""

import asyncio
import statistics
import sys
import time

from relay._testing import synthetic_job


async def list_based(job):
    """The previous iterator: yields from each batch list (a `break` dropped the rest)."""
    next_batch = job.next_batch
    while True:
        batch = await next_batch()
        if batch is None:
            return
        for event in batch:
            yield event


async def rate(kind: str, events: int) -> float:
    job = synthetic_job(events)
    iterator = job.__aiter__() if kind == "deque" else list_based(job)
    started = time.perf_counter()
    count = 0
    async for _ in iterator:
        count += 1
    return count / (time.perf_counter() - started)


async def main(events: int, rounds: int) -> None:
    results: dict[str, list[float]] = {"list": [], "deque": []}
    for _ in range(rounds):
        for kind in results:
            results[kind].append(await rate(kind, events))
    for kind, rates in results.items():
        print(f"{kind:>6}: {statistics.median(rates):,.0f} events/s (median of {rounds})")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(*(args + [100_000, 7][len(args):])))
