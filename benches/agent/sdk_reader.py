"""Decodes a stream-json transcript with the official Python SDK's reader (claude-agent-sdk).

The SDK's path from the CLI's stdout to typed messages: chunks of at most 64 KiB (what anyio's
TextReceiveStream yields), framed into lines by `_LineFramer`, bounded by `max_buffer_size`
(1 MiB by default), parsed by `_parse_stdout_line` (json.loads) and turned into message objects
by `parse_message`.

    python sdk_reader.py FILE [ITERATIONS] [MAX_BUFFER_BYTES]
Prints one JSON object like the Rust side.
"""

import json
import statistics
import sys
import time

from claude_agent_sdk._internal.message_parser import parse_message
from claude_agent_sdk._internal.transport.subprocess_cli import (
    _DEFAULT_MAX_BUFFER_SIZE,
    _LineFramer,
    _parse_stdout_line,
)

CHUNK = 64 * 1024


def decode(text: str, max_buffer: int) -> tuple[int, int]:
    framer = _LineFramer()
    frames = messages = 0
    for start in range(0, len(text), CHUNK):
        for line in framer.push(text[start : start + CHUNK]):
            if len(line) > max_buffer:
                raise ValueError(f"JSON message exceeded maximum buffer size of {max_buffer} bytes")
            data = _parse_stdout_line(line)
            if data is None:
                continue
            frames += 1
            try:
                if parse_message(data) is not None:
                    messages += 1
            except Exception:  # the SDK raises on frames it does not know; count the frame only
                pass
        if framer.pending_len > max_buffer:
            raise ValueError(f"JSON message exceeded maximum buffer size of {max_buffer} bytes")
    return frames, messages


def main() -> None:
    path = sys.argv[1]
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    max_buffer = int(sys.argv[3]) if len(sys.argv) > 3 else _DEFAULT_MAX_BUFFER_SIZE
    raw = open(path, "rb").read()
    text = raw.decode("utf-8")
    times = []
    counts = (0, 0)
    try:
        for _ in range(iterations):
            started = time.perf_counter()
            counts = decode(text, max_buffer)
            times.append(time.perf_counter() - started)
    except ValueError as error:
        print(json.dumps({"impl": "claude-agent-sdk", "bytes": len(raw), "error": str(error),
                          "max_buffer": max_buffer}))
        return
    median = statistics.median(times)
    print(json.dumps({"impl": "claude-agent-sdk", "bytes": len(raw), "frames": counts[0],
                      "messages": counts[1], "seconds": times, "median_s": median,
                      "mb_per_s": len(raw) / median / 1e6, "max_buffer": max_buffer}))


if __name__ == "__main__":
    main()
