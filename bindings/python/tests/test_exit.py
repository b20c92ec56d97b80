"""The interpreter exits cleanly right after Relay work: no tokio thread may still be inside Python
when finalization starts (CPython ends such threads with pthread_exit, which aborts a Rust thread).
With pyo3-async-runtimes delivering results from tokio threads this aborted in about 3 of 10 runs;
results now reach asyncio through a completion pipe and tokio threads never take the GIL."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import git

SCRIPT = """
import asyncio, sys, relay
async def main():
    ws = relay.Workspace.open(sys.argv[1])
    job = ws.sync()
    events = [e async for e in job]
    report = await job.wait()
    assert [r["action"] for r in report["repos"]] == ["skipped", "failed"], report
asyncio.run(main())
"""


def test_exit_after_a_sync_with_a_failed_clone_is_clean(tmp_path: Path):
    (tmp_path / "relay.yaml").write_text(
        "repositories:\n  - name: local\n  - name: ghost\n    url: /nonexistent/ghost.git\n"
    )
    (tmp_path / "local").mkdir()
    git(tmp_path / "local", "init", "-q", "-b", "main")
    git(tmp_path / "local", "commit", "-q", "--allow-empty", "-m", "start")
    for run in range(10):
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True)
        assert done.returncode == 0, f"run {run}: exit {done.returncode}\n{done.stderr}"


VOICE_AND_AGENT_SCRIPT = """
import asyncio, sys, relay
async def main():
    ws = relay.Workspace.open(sys.argv[1])
    tools = relay.Tools(ws, agent="shell", permission=lambda request: True)
    session = await relay.VoiceSession.start(tools, transport="text")
    session.send_text("what is the impact of local")
    async for event in session:
        if event["type"] == "assistant_text":
            break
    # Left running on purpose: a voice session, an agent run with a callback, a tool call.
    ws.run_agent("sleep 30", agent="shell", permission=lambda request: True)
    tools.invoke("run_agent_task", {"task": "sleep 30"})
asyncio.run(main())
"""


def test_exit_with_a_voice_session_and_agent_runs_still_running_is_clean(tmp_path: Path):
    (tmp_path / "relay.yaml").write_text("repositories:\n  - name: local\n")
    (tmp_path / "local").mkdir()
    git(tmp_path / "local", "init", "-q", "-b", "main")
    git(tmp_path / "local", "commit", "-q", "--allow-empty", "-m", "start")
    for run in range(5):
        done = subprocess.run(
            [sys.executable, "-c", VOICE_AND_AGENT_SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"run {run}: exit {done.returncode}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr


# --- No process of a run outlives the interpreter ----------------------------------------------

RUNS_IN_FLIGHT_SCRIPT = """
import asyncio, os, signal, sys, time, relay
mark = os.environ["RELAY_TEST_MARK"]

def marked_sleeps():
    found = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if f.read().startswith(b"sleep\\0" + b"61"):
                    found += 1
        except OSError:
            pass
    return found

async def main():
    ws = relay.Workspace.open(sys.argv[1])
    # An agent run and an environment command, both left running on purpose.
    job = ws.run_agent("sh -c 'sleep 616 & sleep 617'", agent="shell", permission=lambda request: True)
    envs = relay.Environments.open(provider="local", local_root=sys.argv[2])
    await envs.up("scratch").wait()
    pending = asyncio.ensure_future(envs.exec("scratch", ["sh", "-c", "sleep 618 & sleep 619"]))
    while marked_sleeps() < 4:
        await asyncio.sleep(0.05)
    print("running", flush=True)
    if sys.argv[3] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if sys.argv[3] == "os_exit":
        os._exit(3)
    # "exit": the interpreter ends with the run and the command in flight.
asyncio.run(main())
"""


def marked_processes(mark: str) -> list[str]:
    """Live (not zombie) processes whose environment has RELAY_TEST_MARK=mark."""
    needle = f"RELAY_TEST_MARK={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(") ", 1)[1][0]
            if state not in "ZX":
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


@pytest.mark.parametrize("how", ["exit", "os_exit", "kill"])
def test_no_process_of_a_run_outlives_the_interpreter(tmp_path: Path, how: str):
    (tmp_path / "relay.yaml").write_text("repositories:\n  - name: local\n")
    (tmp_path / "local").mkdir()
    git(tmp_path / "local", "init", "-q", "-b", "main")
    git(tmp_path / "local", "commit", "-q", "--allow-empty", "-m", "start")
    mark = f"py-{how}-{os.getpid()}"
    env = {**os.environ, "RELAY_TEST_MARK": mark}
    done = subprocess.run(
        [sys.executable, "-c", RUNS_IN_FLIGHT_SCRIPT, str(tmp_path), str(tmp_path / "envs"), how],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "running" in done.stdout, f"exit {done.returncode}\n{done.stderr}"
    # After SIGKILL and os._exit the parent-death signal and the watchdog act asynchronously.
    deadline = time.monotonic() + 30
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left == [], f"{how}: processes of the run are still alive: {left}\n{done.stderr}"
