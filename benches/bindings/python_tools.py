"""What a tool written in Python costs per call, against one of Relay's own tools, through the
same path: `await tools.call(name, args)` (a tool job: the registry validates the JSON arguments,
the call crosses to the event loop and back for a Python tool, `{"ok", "value"}` comes out).

    python benches/bindings/python_tools.py WORKSPACE [CALLS=2000]

Use a release build (`cd bindings/python && maturin develop --release`). Prints one JSON line of
medians in µs: `relay_tool` (impact_analysis, Rust), `sync_tool` and `async_tool` (Python
functions doing the same trivial work), and `loop_crossing` = sync_tool - relay_tool."""

import asyncio
import json
import statistics
import sys
import time
from typing import Any

import relay

SCHEMA = {"type": "object", "properties": {"repos": {"type": "array", "items": {"type": "string"}}}}


async def measure(calls: int, call: Any) -> float:
    for _ in range(min(100, calls)):
        await call()  # warm up
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


async def main(workspace: str, calls: int) -> None:
    tools = relay.Tools(relay.Workspace.open(workspace))

    def sync_tool(args: dict[str, Any]) -> dict[str, Any]:
        return {"changed": args["repos"]}

    async def async_tool(args: dict[str, Any]) -> dict[str, Any]:
        return {"changed": args["repos"]}

    tools.register("sync_tool", sync_tool, description="Bench.", parameters=SCHEMA)
    tools.register("async_tool", async_tool, description="Bench.", parameters=SCHEMA)
    args = {"repos": ["shared-api"]}

    def caller(name: str) -> Any:
        async def call() -> None:
            out = await tools.call(name, args)
            assert out["ok"], out

        return call

    # Interleaved rounds, so a load change on the shared machine hits all three alike.
    rounds: dict[str, list[float]] = {"relay_tool": [], "sync_tool": [], "async_tool": []}
    for _ in range(5):
        rounds["relay_tool"].append(await measure(calls // 5, caller("impact_analysis")))
        rounds["sync_tool"].append(await measure(calls // 5, caller("sync_tool")))
        rounds["async_tool"].append(await measure(calls // 5, caller("async_tool")))
    medians = {name: round(statistics.median(values), 1) for name, values in rounds.items()}
    medians["loop_crossing"] = round(medians["sync_tool"] - medians["relay_tool"], 1)
    print(json.dumps({"runtime": "python", "calls": calls, **medians}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000))
