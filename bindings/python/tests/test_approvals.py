"""Approvals from Python: a tool that is hard to undo is refused without a callback; with
``Tools.on_approval`` the callback sees the question and its answer decides."""

from pathlib import Path
from typing import Any

import pytest

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


# --- Python tools that need approval ------------------------------------------------------------


async def test_a_python_tool_that_needs_approval_runs_only_after_a_yes(workspace_dir: Path):
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    ran: list[dict[str, Any]] = []

    @tools.tool(needs_approval=True, parameters={"type": "object", "properties": {"name": {"type": "string"}}})
    def drop_database(args: dict[str, Any]) -> str:
        """Drops a database."""
        ran.append(args)
        return "dropped"

    tools.register("vacuum", lambda args: "vacuumed", description="Vacuums.")
    specs = {s["name"]: s for s in tools.specs()}
    assert specs["drop_database"]["needs_approval"] is True
    assert specs["vacuum"]["needs_approval"] is False

    # No callback: refused with what to do, and the function never ran.
    refused = await tools.call("drop_database", {"name": "orders"})
    assert refused["ok"] is False
    assert refused["value"]["error"] == (
        "`drop_database` was not run: it needs a person's approval and nobody can be asked here"
    )
    assert "an approval callback" in refused["value"]["hint"]
    assert ran == []

    answers = ["deny", {"decision": "allow", "user": "ann"}]
    asked: list[dict[str, Any]] = []

    async def on_approval(request: dict[str, Any]) -> Any:
        asked.append(request)
        return answers[len(asked) - 1]

    tools.on_approval(on_approval)
    denied = await tools.call("drop_database", {"name": "orders"})
    assert denied["value"]["error"] == "`drop_database` was not run: the user said no", denied
    assert ran == [], "the function did not run after a no"
    allowed = await tools.call("drop_database", {"name": "orders"})
    assert allowed == {"ok": True, "value": "dropped"}
    assert ran == [{"name": "orders"}]
    assert asked[0]["question"] == "Run drop_database (name: orders)? Allow it?"
    assert asked[0]["action"] == {"kind": "tool", "name": "drop_database", "arguments": {"name": "orders"}}
    # A tool without the flag never asks.
    assert (await tools.call("vacuum", {}))["ok"] is True
    assert len(asked) == 2


async def test_the_answer_to_a_python_tools_approval_is_audited(workspace_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("RELAY_STORE_URL", raising=False)
    monkeypatch.delenv("RELAY_USER", raising=False)
    with (workspace_dir / "relay.yaml").open("a") as f:
        f.write("team:\n  - user: ann\n    role: developer\n")
    ann = await relay.Memory.open(workspace_dir, user="ann")
    tools = await ann.tools()
    ran: list[str] = []
    tools.register(
        "rotate_keys",
        lambda args: ran.append("rotated") or "rotated",
        description="Rotates the deploy keys.",
        needs_approval=True,
    )
    tools.on_approval(lambda request: {"decision": "deny", "reason": "not during the release", "user": "ann"})
    out = await tools.call("rotate_keys", {})
    assert out["value"]["error"] == "`rotate_keys` was not run: the user (ann) said no", out
    assert ran == []
    tools.on_approval(lambda request: {"decision": "allow", "user": "ann"})
    assert (await tools.call("rotate_keys", {}))["ok"] is True
    assert ran == ["rotated"]

    entries = [r["entry"] for r in await ann.audit()]
    approvals = [(e["action"], e["outcome"], e["args"]["via"], e["args"]["answered_by"]) for e in entries if e["kind"] == "approval"]
    assert approvals == [("rotate_keys", "denied", "callback", "ann"), ("rotate_keys", "ok", "callback", "ann")]
    denied = next(e for e in entries if e["kind"] == "approval")
    assert denied["args"]["reason"] == "not during the release"
    assert [(e["action"], e["outcome"]) for e in entries if e["kind"] == "tool"] == [
        ("rotate_keys", "denied"),
        ("rotate_keys", "ok"),
    ]
