"""Approvals from Python: a tool that is hard to undo is refused without a callback; with
``Tools.on_approval`` the callback sees the question and its answer decides."""

from pathlib import Path
from typing import Any

import relay


async def test_the_approval_callback_sees_the_question_and_decides(workspace_dir: Path, tmp_path: Path):
    ws = relay.Workspace.open(workspace_dir)
    envs = relay.Environments.open(provider="local", workspace=ws, local_root=tmp_path / "envs")
    tools = relay.Tools(ws, environments=envs)
    assert (await tools.call("env_up", {"name": "scratch"}))["ok"]
    assert [s["name"] for s in tools.specs() if s.get("needs_approval")] == ["env_down", "env_rollback", "push_branches"]

    refused = await tools.call("env_down", {"name": "scratch"})
    assert refused["ok"] is False
    assert "needs a person's approval" in refused["value"]["error"], refused

    asked: list[dict[str, Any]] = []

    async def on_approval(request: dict[str, Any]) -> Any:
        asked.append(request)
        return "deny" if len(asked) == 1 else {"decision": "allow", "user": "ann"}

    tools.on_approval(on_approval)
    denied = await tools.call("env_down", {"name": "scratch"})
    assert denied["value"]["error"] == "`env_down` was not run: the user said no", denied
    assert (await envs.status("scratch"))["status"] == "running", "nothing ran"
    allowed = await tools.call("env_down", {"name": "scratch"})
    assert allowed["ok"] is True, allowed
    assert len(asked) == 2
    assert asked[0]["question"] == "Destroy the environment scratch, with its disks and snapshots? Allow it?"
    assert asked[0]["action"] == {"kind": "tool", "name": "env_down", "arguments": {"name": "scratch"}}
    assert asked[0]["timeout_ms"] == 60000


async def test_an_unusable_answer_denies(workspace_dir: Path, tmp_path: Path):
    ws = relay.Workspace.open(workspace_dir)
    envs = relay.Environments.open(provider="local", workspace=ws, local_root=tmp_path / "envs")
    tools = relay.Tools(ws, environments=envs)
    assert (await tools.call("env_up", {"name": "scratch"}))["ok"]
    tools.on_approval(lambda request: "sure")
    out = await tools.call("env_down", {"name": "scratch"})
    assert out["ok"] is False
    assert 'answer "allow", "deny" or "allow_for_session"' in out["value"]["error"], out
    assert (await envs.status("scratch"))["status"] == "running"
