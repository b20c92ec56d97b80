"""Python side of the binding boundary benchmark (see run.sh): awaited status() and 100,000
events through `async for`, printed as one JSON object."""

import asyncio
import json
import statistics
import sys
import time

import relay
from relay._testing import synthetic_job


async def main(workspace: str, calls: int, events: int) -> None:
    ws = relay.Workspace.open(workspace)
    # Same protocol as the Rust baseline: each full status() is followed by 10 of an empty
    # selection (the call's own cost); the first tenth of the rounds is warm-up.
    full, empty = [], []
    for rnd in range(calls + calls // 10):
        start = time.perf_counter()
        status = await ws.status()
        elapsed = (time.perf_counter() - start) * 1e6
        assert len(status) == 3
        for _ in range(10):
            start = time.perf_counter()
            none = await ws.status(repos=[])
            e = (time.perf_counter() - start) * 1e6
            assert none == []
            if rnd >= calls // 10:
                empty.append(e)
        if rnd >= calls // 10:
            full.append(elapsed)
    # What a Python user would otherwise do to run blocking work without blocking the loop: hand a
    # no-op to a thread pool and await it. The same two thread hand-offs as an awaited Rust call.
    loop = asyncio.get_running_loop()
    executor = []
    for rnd in range(calls * 10 + calls):
        start = time.perf_counter()
        await loop.run_in_executor(None, int)
        if rnd >= calls:
            executor.append((time.perf_counter() - start) * 1e6)

    start = time.perf_counter()
    received = 0
    async for _event in synthetic_job(events):
        received += 1
    seconds = time.perf_counter() - start
    assert received == events + 2
    print(json.dumps({
        "runtime": "python",
        "status_median_us": round(statistics.median(full), 1),
        "empty_status_median_us": round(statistics.median(empty), 1),
        "executor_roundtrip_median_us": round(statistics.median(executor), 1),
        "calls": calls,
        "events": received,
        "events_per_s": round(received / seconds),
    }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
