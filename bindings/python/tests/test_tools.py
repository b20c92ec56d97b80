"""The tool registry from Python: specs in both formats, calls with results and readable
failures, the agent tool (shell agent, and Claude Code with a Python permission callback),
permissions, cancellation."""

import asyncio
import json
from pathlib import Path
from typing import Any

Event = dict[str, Any]

import pytest

import relay
from conftest import claude_bin, claude_env, processes_in
from test_agent import assert_all_gone, text_turn, tool_turn, wait_for_process


@pytest.fixture
def ws(workspace_dir: Path) -> relay.Workspace:
    return relay.Workspace.open(workspace_dir)


def full_tools(ws: relay.Workspace, tmp_path: Path, **kwargs: Any) -> relay.Tools:
    envs = relay.Environments.open(provider="local", workspace=ws, local_root=tmp_path / "envs")
    return relay.Tools(ws, agent="shell", environments=envs, **kwargs)


def test_specs_and_realtime_format_describe_every_group(ws: relay.Workspace, tmp_path: Path):
    tools = full_tools(ws, tmp_path)
    specs = tools.specs()
    names = [s["name"] for s in specs]
    assert names == sorted(names)
    for expected in ("project_status", "impact_analysis", "create_branch", "run_agent_task", "env_up", "env_exec"):
        assert expected in names, names
    by_name = {s["name"]: s for s in specs}
    assert by_name["run_agent_task"]["permission"] == "run_agent"
    assert by_name["env_up"]["permission"] == "manage_infra"
    assert by_name["project_status"]["permission"] == "read"
    assert by_name["run_agent_task"]["parameters"]["type"] == "object"
    assert "task" in by_name["run_agent_task"]["parameters"]["properties"]

    realtime = tools.realtime_tools()
    assert [t["name"] for t in realtime] == names
    assert all(t["type"] == "function" for t in realtime)
    assert realtime[0]["parameters"] == specs[0]["parameters"]
    assert set(realtime[0]) == {"type", "name", "description", "parameters"}
    # Only the repository tools without agent and environments.
    assert "run_agent_task" not in [s["name"] for s in relay.Tools(ws).specs()]
    assert repr(relay.Tools(ws)).startswith("<relay.Tools ")


async def test_calls_return_results_and_readable_failures(ws: relay.Workspace):
    tools = relay.Tools(ws)
    impact = await tools.call("impact_analysis", {"repos": ["shared-api"]})
    assert impact == {
        "ok": True,
        "value": {
            "changed": ["shared-api"],
            "direct_dependents": ["backend"],
            "all_dependents": ["backend", "frontend"],
            "batches": [["shared-api"], ["backend"], ["frontend"]],
        },
    }
    # JSON text is passed on as the model sent it.
    assert await tools.call("impact_analysis", '{"repos": ["backend"]}') == {
        "ok": True,
        "value": {
            "changed": ["backend"],
            "direct_dependents": ["frontend"],
            "all_dependents": ["frontend"],
            "batches": [["backend"], ["frontend"]],
        },
    }
    bad = await tools.call("impact_analysis", {"repos": [1]})
    assert bad["ok"] is False
    assert "`repos[0]`: expected string" in bad["value"]["error"], bad
    assert bad["value"]["hint"]
    unknown = await tools.call("play_jazz")
    assert unknown["ok"] is False
    assert "unknown tool `play_jazz`" in unknown["value"]["error"]
    assert "impact_analysis" in unknown["value"]["error"], "the error lists the available tools"
    broken = await tools.call("impact_analysis", "{not json")
    assert broken["ok"] is False

    assert tools.primary_project() is None
    switched = await tools.call("switch_project", {"name": "backend"})
    assert switched["ok"] is True, switched
    assert tools.primary_project() == {"name": "backend", "related": ["shared-api", "frontend"]}
    with pytest.raises(TypeError):
        tools.invoke("impact_analysis", {"repos": {1, 2}})  # a set is not JSON


async def test_agent_tool_runs_the_shell_agent_with_progress(ws: relay.Workspace, workspace_dir: Path, tmp_path: Path):
    tools = full_tools(ws, tmp_path)
    job = tools.invoke("run_agent_task", {"task": "touch from-voice.txt", "repos": ["backend"]})
    events = [e async for e in job]
    result = await job.wait()
    assert result["ok"] is True, result
    assert (workspace_dir / "backend" / "from-voice.txt").exists()
    assert not (workspace_dir / "frontend" / "from-voice.txt").exists()
    progress = [e["message"] for e in events if e["type"] == "progress"]
    assert any("backend" in m for m in progress), progress
    assert "backend" in json.dumps(result["value"])


async def test_permissions_limit_what_callers_may_do(ws: relay.Workspace, workspace_dir: Path, tmp_path: Path):
    read_only = full_tools(ws, tmp_path, permissions=["read"])
    denied = await read_only.call("run_agent_task", {"task": "touch x.txt"})
    assert denied["ok"] is False
    assert "run_agent" in denied["value"]["error"], denied
    assert not list(workspace_dir.glob("*/x.txt"))
    assert (await read_only.call("project_status"))["ok"] is True


async def test_bad_registry_options_are_clear_errors(ws: relay.Workspace):
    with pytest.raises(relay.UsageError, match="unknown permission `root`"):
        relay.Tools(ws, permissions=["root"])
    with pytest.raises(relay.UsageError, match="pass `workspace`"):
        relay.Tools(agent="shell")
    with pytest.raises(relay.UsageError, match="unknown agent option `modle`"):
        relay.Tools(ws, agent={"agent": "claude", "modle": "x"})
    with pytest.raises(TypeError, match="agent must be"):
        relay.Tools(ws, agent=5)  # type: ignore[arg-type]
    with pytest.raises(relay.UsageError, match="unknown agent `gpt`"):
        relay.Tools(ws, agent="gpt")


async def test_cancelling_a_tool_call_kills_the_agent_process(ws: relay.Workspace, workspace_dir: Path):
    tools = relay.Tools(ws, agent="shell")
    repo = workspace_dir / "frontend"
    call = asyncio.create_task(tools.call("run_agent_task", {"task": "sleep 300", "repos": ["frontend"]}))
    pids = await wait_for_process(repo, "sleep 300")
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await assert_all_gone(pids, repo)
    assert processes_in(repo) == []


async def test_agent_tool_with_claude_asks_the_python_callback(tmp_path: Path, anthropic):
    (tmp_path / "relay.yaml").write_text("repositories:\n  - name: app\n")
    repo = tmp_path / "app"
    repo.mkdir()
    from conftest import git

    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    url = anthropic(
        [
            tool_turn("Running it.", "Bash", {"command": "touch ran.txt", "description": "touch"}),
            text_turn("The command was refused."),
        ]
    )
    home = tmp_path / "home"
    home.mkdir()
    asked: list[str] = []

    async def permission(request: dict[str, Any]) -> Any:
        asked.append(request["tool_name"])
        return {"decision": "deny", "message": "no commands from voice"}

    tools = relay.Tools(
        relay.Workspace.open(tmp_path),
        agent={"agent": "claude", "claude_binary": claude_bin(), "env": claude_env(url, home), "idle_timeout_secs": 60},
        permission=permission,
    )
    result = await tools.call("run_agent_task", {"task": "touch ran.txt"})
    assert asked == ["Bash"]
    assert not (repo / "ran.txt").exists()
    assert result["ok"] is True, result
    (run,) = result["value"]["repositories"]
    assert (run["name"], run["outcome"], run["num_turns"], run["changed_files"]) == ("app", "success", 2, [])
    assert result["value"]["files_changed"] == 0


def test_a_callback_whose_loop_is_gone_denies_instead_of_hanging(tmp_path: Path, anthropic):
    """Tools made (with a callback) under one asyncio.run and used under another: the callback's
    loop is closed, so the question cannot be asked; the tool is denied at once, with why."""
    import gc

    from conftest import git

    (tmp_path / "relay.yaml").write_text("repositories:\n  - name: app\n")
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    url = anthropic(
        [tool_turn("Running it.", "Bash", {"command": "touch ran.txt", "description": "t"}), text_turn("Refused.")]
    )
    home = tmp_path / "home"
    home.mkdir()
    called: list[str] = []

    async def make() -> relay.Tools:
        return relay.Tools(
            relay.Workspace.open(tmp_path),
            agent={"agent": "claude", "claude_binary": claude_bin(), "env": claude_env(url, home), "idle_timeout_secs": 600},
            permission=lambda request: called.append(request["tool_name"]) or True,
        )

    tools = asyncio.run(make())
    gc.collect()  # the first loop (and with it its completion port) is gone

    async def use() -> tuple[dict[str, Any], list[Event]]:
        job = tools.invoke("run_agent_task", {"task": "touch ran.txt"})
        events = [e async for e in job]
        return await job.wait(), events

    result, events = asyncio.run(asyncio.wait_for(use(), 120))  # a hang would wait for the 600 s idle timeout
    assert called == [], "the callback of a closed loop cannot run"
    assert not (repo / "ran.txt").exists()
    assert result["ok"] is True, result
    (run,) = result["value"]["repositories"]
    assert (run["outcome"], run["changed_files"]) == ("success", []), run
