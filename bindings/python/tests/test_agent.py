"""Agent runs from Python: the shell agent on a real workspace, and the real `claude` CLI against
the fake Anthropic API (relay-testkit) with a Python permission callback."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

import relay
from conftest import claude_bin, claude_env, git, process_exists, processes_in

# --- The shell agent ------------------------------------------------------------------------------


def agent_events(events: list[dict[str, Any]]) -> list[tuple[str | None, dict[str, Any]]]:
    """The (repo, agent event) pairs of a job's events."""
    return [(e["repo"], e["event"]) for e in events if e["type"] == "agent"]


async def test_shell_agent_changes_the_affected_repositories_in_dependency_order(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    job = ws.run_agent("sh -c 'echo patched >> README.md; pwd'", agent="shell", affected_by=["backend"])
    assert isinstance(job, relay.Job)
    events = [e async for e in job]
    report = await job.wait()

    assert [r["name"] for r in report["repos"]] == ["backend", "frontend"]
    for run in report["repos"]:
        assert run["outcome"] == "success", run
        assert run["changed_files"] == ["README.md"]
        assert run["error"] is None
        assert (workspace_dir / run["name"] / "README.md").read_text() == f"# {run['name']}\npatched\n"
    assert (workspace_dir / "shared-api" / "README.md").read_text() == "# shared-api\n"

    assert events[0]["type"] == "job_started"
    assert events[-1]["type"] == "job_finished" and events[-1]["status"] == "succeeded"
    outputs = [(repo, e["line"]) for repo, e in agent_events(events) if e["type"] == "output"]
    assert ("backend", str(workspace_dir / "backend")) in outputs
    assert ("frontend", str(workspace_dir / "frontend")) in outputs
    kinds = [e["type"] for repo, e in agent_events(events) if repo == "backend"]
    assert kinds[0] == "session_started" and kinds[-1] == "result", kinds
    assert "tool_started" in kinds and "tool_finished" in kinds


async def test_a_failing_repository_skips_its_dependents(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    job = ws.run_agent("sh -c 'echo broken >&2; exit 3'", agent="shell", affected_by=["backend"])
    report = await job.wait()
    backend, frontend = report["repos"]
    assert backend["outcome"] == "failed"
    assert "exit code 3" in backend["error"] and "broken" in backend["error"], backend
    assert frontend["outcome"] == "skipped"
    assert "backend" in frontend["error"], frontend


async def test_keep_going_runs_dependents_of_a_failed_repository(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    # Fails in backend only (its README names it), succeeds elsewhere.
    report = await ws.run_agent(
        "sh -c '! grep -q backend README.md'", agent="shell", affected_by=["backend"], keep_going=True
    ).wait()
    assert [(r["name"], r["outcome"]) for r in report["repos"]] == [("backend", "failed"), ("frontend", "success")]


async def test_bad_agent_requests_raise_before_anything_runs(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    with pytest.raises(relay.RepoError) as info:
        ws.run_agent("touch x", agent="shell", repos=["nope"])
    assert info.value.code == "unknown_repo"
    assert "nope" in str(info.value)
    with pytest.raises(relay.UsageError) as info:
        ws.run_agent("touch x", agent="gpt-nine")
    assert "unknown agent `gpt-nine`" in str(info.value)
    assert '"claude"' in str(info.value) and '"shell"' in str(info.value), "the message lists the known agents"
    with pytest.raises(relay.UsageError):
        ws.run_agent("touch x", agent="shell", repos=["backend"], affected_by=["backend"])
    with pytest.raises(relay.UsageError, match="acceptEdits"):
        ws.run_agent("touch x", agent="shell", permission_mode="yolo")
    with pytest.raises(TypeError, match="permission must be a callable"):
        ws.run_agent("touch x", agent="shell", permission="allow")
    assert not list(workspace_dir.glob("*/x")), "a rejected request touched a repository"


def test_a_permission_callback_needs_a_running_loop(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    with pytest.raises(relay.UsageError, match="asyncio.run"):
        ws.run_agent("touch x", agent="shell", permission=lambda request: True)


async def test_a_missing_claude_binary_fails_the_job_with_agent_error(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    job = ws.run_agent("fix it", claude_binary=workspace_dir / "no-claude-here")
    events = [e async for e in job]
    assert events[-1]["status"] == "failed"
    with pytest.raises(relay.AgentError) as info:
        await job.wait()
    assert info.value.code == "agent_not_found"
    assert str(workspace_dir / "no-claude-here") in str(info.value)


async def test_cancelling_the_awaiting_task_kills_the_shell_command(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    repo = workspace_dir / "shared-api"
    job = ws.run_agent("sleep 300", agent="shell", repos=["shared-api"])
    waiter = asyncio.create_task(job.wait())
    pids = await wait_for_process(repo, "sleep 300")
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await assert_all_gone(pids, repo)


# --- The real claude CLI with a Python permission callback -----------------------------------------


@pytest.fixture
def claude_repo(tmp_path: Path) -> Path:
    """A one-repository workspace (the fake API answers its scripted turns in order, so one
    repository keeps the script unambiguous)."""
    (tmp_path / "relay.yaml").write_text("repositories:\n  - name: app\n")
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "gc.auto", "0")
    (repo / "README.md").write_text("# app\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "start app")
    return repo


def tool_turn(text: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "reply", "text": text, "tool_uses": [{"name": name, "input": tool_input}]}


def text_turn(text: str) -> dict[str, Any]:
    return {"kind": "reply", "text": text}


def write_then_bash(repo: Path) -> list[dict[str, Any]]:
    return [
        tool_turn("Creating the file.", "Write", {"file_path": str(repo / "hello.txt"), "content": "hello\n"}),
        tool_turn("Cleaning up.", "Bash", {"command": "touch should-not-exist", "description": "touch"}),
        text_turn("Done, without running commands."),
    ]


def run_claude(repo: Path, url: str, tmp_path: Path, permission: Any, on_approval: Any = None) -> relay.Job:
    ws = relay.Workspace.open(repo.parent)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return ws.run_agent(
        "create hello.txt and clean up",
        agent="claude",
        claude_binary=str(claude_bin()),
        env=claude_env(url, home),
        idle_timeout_secs=60,
        permission=permission,
        on_approval=on_approval,
    )


def decisions(events: list[dict[str, Any]]) -> list[tuple[str, bool, str | None]]:
    return [
        (e["tool_name"], e["allowed"], e["message"]) for _, e in agent_events(events) if e["type"] == "permission_decided"
    ]


async def assert_write_allowed_bash_denied(job: relay.Job, repo: Path, denial: str) -> list[dict[str, Any]]:
    events = [e async for e in job]
    report = await job.wait()
    (run,) = report["repos"]
    assert run["name"] == "app"
    assert run["outcome"] == "success", run
    assert run["num_turns"] == 3
    assert run["changed_files"] == ["hello.txt"]
    assert (repo / "hello.txt").read_text() == "hello\n"
    assert not (repo / "should-not-exist").exists(), "the denied Bash command ran"
    (write, bash) = decisions(events)
    assert write == ("Write", True, None)
    assert bash[:2] == ("Bash", False) and denial in bash[2], bash
    finished = [e for _, e in agent_events(events) if e["type"] == "tool_finished"]
    assert any(e["is_error"] and denial in e["output"] for e in finished), finished
    return events


def policy(requests: list[dict[str, Any]]):
    def decide(request: dict[str, Any]) -> Any:
        requests.append(request)
        if request["tool_name"] == "Write":
            return True
        return {"decision": "deny", "message": f"{request['tool_name']} is not allowed in {request['repo']}"}

    return decide


async def test_sync_permission_callback_allows_write_and_denies_bash(claude_repo: Path, anthropic, tmp_path: Path):
    requests: list[dict[str, Any]] = []
    url = anthropic(write_then_bash(claude_repo))
    job = run_claude(claude_repo, url, tmp_path, policy(requests))
    await assert_write_allowed_bash_denied(job, claude_repo, "Bash is not allowed in app")
    assert [r["tool_name"] for r in requests] == ["Write", "Bash"]
    assert requests[0]["repo"] == "app"
    assert requests[0]["input"]["file_path"] == str(claude_repo / "hello.txt")
    assert requests[1]["input"]["command"] == "touch should-not-exist"
    assert set(requests[0]) >= {"repo", "tool_name", "input", "tool_use_id", "description"}


async def test_an_ask_answer_is_put_to_the_approval_callback(claude_repo: Path, anthropic, tmp_path: Path):
    """The permission callback answers "ask": the question goes to ``on_approval`` (a person),
    whose yes lets Write run and whose no keeps Bash from running."""
    asked: list[dict[str, Any]] = []

    def decide(request: dict[str, Any]) -> Any:
        return {"decision": "ask", "question": f"May Claude use {request['tool_name']} in {request['repo']}?"}

    async def person(request: dict[str, Any]) -> Any:
        asked.append(request)
        if request["action"]["tool_name"] == "Write":
            return {"decision": "allow", "user": "ann"}
        return {"decision": "deny", "reason": "no commands today", "user": "ann"}

    url = anthropic(write_then_bash(claude_repo))
    job = run_claude(claude_repo, url, tmp_path, decide, on_approval=person)
    await assert_write_allowed_bash_denied(job, claude_repo, "the user (ann) said no")
    assert [r["action"]["tool_name"] for r in asked] == ["Write", "Bash"]
    assert "Write" in asked[0]["question"] and "app" in asked[0]["question"], asked[0]


async def test_without_a_policy_every_question_goes_to_the_approval_callback(
    claude_repo: Path, anthropic, tmp_path: Path
):
    asked: list[str] = []

    def person(request: dict[str, Any]) -> Any:
        asked.append(request["action"]["tool_name"])
        return "allow" if request["action"]["tool_name"] == "Write" else "deny"

    url = anthropic(write_then_bash(claude_repo))
    job = run_claude(claude_repo, url, tmp_path, None, on_approval=person)
    await assert_write_allowed_bash_denied(job, claude_repo, "")
    assert asked == ["Write", "Bash"]


async def test_async_permission_callback_runs_on_the_callers_loop(claude_repo: Path, anthropic, tmp_path: Path):
    loop = asyncio.get_running_loop()
    seen_loops = []

    async def decide(request: dict[str, Any]) -> Any:
        seen_loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0.05)  # a real await: a person or a service being asked
        return "allow" if request["tool_name"] == "Write" else "deny"

    url = anthropic(write_then_bash(claude_repo))
    job = run_claude(claude_repo, url, tmp_path, decide)
    await assert_write_allowed_bash_denied(job, claude_repo, "denied by the permission callback")
    assert seen_loops == [loop, loop]


async def test_a_raising_callback_denies_with_its_message_and_the_run_goes_on(
    claude_repo: Path, anthropic, tmp_path: Path
):
    def decide(request: dict[str, Any]) -> Any:
        if request["tool_name"] == "Bash":
            raise RuntimeError("policy store offline")
        return True

    url = anthropic(write_then_bash(claude_repo))
    job = run_claude(claude_repo, url, tmp_path, decide)
    events = await assert_write_allowed_bash_denied(job, claude_repo, "policy store offline")
    (_, bash) = decisions(events)
    assert bash[2].startswith("the permission callback failed: RuntimeError: policy store offline"), bash


async def test_an_async_callback_that_raises_or_answers_garbage_denies(claude_repo: Path, anthropic, tmp_path: Path):
    async def decide(request: dict[str, Any]) -> Any:
        if request["tool_name"] == "Bash":
            return {"decision": "perhaps"}
        return {"decision": "allow"}

    url = anthropic(write_then_bash(claude_repo))
    job = run_claude(claude_repo, url, tmp_path, decide)
    events = await assert_write_allowed_bash_denied(job, claude_repo, "perhaps")
    assert decisions(events)[1][1] is False


async def wait_for_process(directory: Path, needle: str, timeout: float = 90) -> list[int]:
    """Waits until a process whose command line contains ``needle`` works in ``directory``;
    returns the pids of every process seen there meanwhile."""
    seen: list[int] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = processes_in(directory)
        seen.extend(p["pid"] for p in found if p["pid"] not in seen)
        if any(needle in p["cmdline"] for p in found):
            return seen
        await asyncio.sleep(0.025)
    pytest.fail(f"no process running {needle!r} in {directory} after {timeout}s")


async def assert_all_gone(pids: list[int], directory: Path) -> None:
    # The kill is immediate; reaping may take a moment (longer on a loaded machine).
    for _ in range(600):
        if not processes_in(directory) and not any(process_exists(pid) for pid in pids):
            return
        await asyncio.sleep(0.025)
    left = [p for p in processes_in(directory)] + [pid for pid in pids if process_exists(pid)]
    pytest.fail(f"processes left behind: {left}")


async def test_cancelling_a_claude_run_kills_the_cli_and_its_command(claude_repo: Path, anthropic, tmp_path: Path):
    url = anthropic(
        [
            tool_turn("Waiting.", "Bash", {"command": "tail -f /dev/null", "description": "wait"}),
            text_turn("done"),
        ]
    )
    job = run_claude(claude_repo, url, tmp_path, lambda request: True)
    waiter = asyncio.create_task(job.wait())
    pids = await wait_for_process(claude_repo, "tail -f /dev/null")
    assert len(pids) >= 2, f"expected claude and tail, saw {pids}"
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await assert_all_gone(pids, claude_repo)


async def test_cancelling_a_run_cancels_a_pending_async_callback(claude_repo: Path, anthropic, tmp_path: Path):
    asked = asyncio.Event()
    outcome: list[str] = []

    async def ask_a_person(request: dict[str, Any]) -> Any:
        asked.set()
        try:
            await asyncio.Event().wait()  # nobody ever answers
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        outcome.append("answered")
        return True

    url = anthropic([tool_turn("Checking.", "Bash", {"command": "touch never.txt", "description": "touch"}), text_turn("ok")])
    job = run_claude(claude_repo, url, tmp_path, ask_a_person)
    await asyncio.wait_for(asked.wait(), 60)
    job.cancel()
    events = [e async for e in job]
    assert (events[-1]["type"], events[-1]["status"]) == ("job_finished", "cancelled")
    finished = [e for e in events if e["type"] == "repo_finished"]
    assert [(e["repo"], e["outcome"]) for e in finished] == [("app", "cancelled")]
    with pytest.raises(relay.JobCancelledError) as info:
        await job.wait()
    assert info.value.code == "cancelled"
    for _ in range(200):
        if outcome:
            break
        await asyncio.sleep(0.025)
    assert outcome == ["cancelled"]
    assert not (claude_repo / "never.txt").exists()
    await assert_all_gone([], claude_repo)
