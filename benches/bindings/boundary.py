"""Python side of the binding boundary benchmark (see run.sh): awaited status() and 100,000
events through `async for`, printed as one JSON object."""

import asyncio
import json
import statistics
import sys
import time

import relay


async def main(workspace: str, calls: int, events: int) -> None:
    ws = relay.Workspace.open(workspace)
    for _ in range(calls // 10):
        await ws.status()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        status = await ws.status()
        times.append((time.perf_counter() - start) * 1e6)
        assert status
    start = time.perf_counter()
    received = 0
    async for _event in relay.synthetic_job(events):
        received += 1
    seconds = time.perf_counter() - start
    assert received == events + 2
    print(json.dumps({
        "runtime": "python",
        "status_median_us": round(statistics.median(times), 1),
        "status_mean_us": round(statistics.fmean(times), 1),
        "calls": calls,
        "events": received,
        "events_per_s": round(received / seconds),
    }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
