"""Workspace operations from Python against real git repositories."""

from pathlib import Path

import pytest

import relay
from conftest import git


def test_open_discovers_relay_yaml_from_a_subdirectory(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir / "backend")
    assert ws.root == str(workspace_dir)
    assert ws.config_file == str(workspace_dir / "relay.yaml")
    repos = ws.repos()
    assert [r["name"] for r in repos] == ["shared-api", "backend", "frontend"]
    assert repos[1]["dependencies"] == ["shared-api"]
    assert repos[1]["path"] == str(workspace_dir / "backend")


def test_graph_and_impact(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    graph = ws.graph()
    assert graph["batches"] == [["shared-api"], ["backend"], ["frontend"]]
    assert {"from": "backend", "to": "shared-api"} in graph["edges"]
    impact = ws.impact(["shared-api"])
    assert impact["changed"] == ["shared-api"]
    assert impact["direct"] == ["backend"]
    assert impact["transitive"] == ["backend", "frontend"]


async def test_status_reports_real_git_state(workspace_dir: Path):
    backend = workspace_dir / "backend"
    (backend / "README.md").write_text("changed\n")
    (backend / "notes.txt").write_text("new\n")
    ws = relay.Workspace.open(workspace_dir)
    status = await ws.status()
    assert [s["name"] for s in status] == ["shared-api", "backend", "frontend"]
    b = status[1]
    assert b["branch"] == "main"
    assert b["head"] == git(backend, "rev-parse", "HEAD")
    assert (b["staged"], b["unstaged"], b["untracked"]) == (0, 1, 1)
    assert b["last_commit"]["summary"] == "start backend"
    assert b["error"] is None
    only = await ws.status(repos=["frontend"])
    assert [s["name"] for s in only] == ["frontend"]
    assert only[0]["unstaged"] == 0


async def test_changed_since_and_changed_files(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    assert await ws.changed_since("main") == []
    (workspace_dir / "frontend" / "app.js").write_text("x\n")
    assert await ws.changed_since("main") == ["frontend"]
    assert await ws.changed_files("frontend") == ["app.js"]


async def test_branch_then_commit_change_the_repositories(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    job = ws.branch("feature/login", affected_by=["backend"])
    events = [e async for e in job]
    report = await job.wait()
    assert {r["name"]: r["action"] for r in report["repos"]} == {"backend": "created", "frontend": "created"}
    assert sorted(e["repo"] for e in events if e["type"] == "repo_finished") == ["backend", "frontend"]
    assert git(workspace_dir / "backend", "branch", "--show-current") == "feature/login"
    assert git(workspace_dir / "shared-api", "branch", "--show-current") == "main"

    (workspace_dir / "backend" / "README.md").write_text("login\n")
    report = await ws.commit("Add login", repos=["backend"], all=True).wait()
    [entry] = report["repos"]
    assert entry["action"] == "committed"
    assert entry["sha"] == git(workspace_dir / "backend", "rev-parse", "HEAD")
    assert git(workspace_dir / "backend", "log", "-1", "--format=%s") == "Add login"


def test_a_missing_workspace_raises_config_error_saying_what_to_do(tmp_path: Path):
    with pytest.raises(relay.ConfigError) as info:
        relay.Workspace.open(tmp_path)
    assert info.value.code == "config"
    assert "no relay.yaml found" in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_an_invalid_workspace_names_file_and_line(tmp_path: Path):
    (tmp_path / "relay.yaml").write_text("repositories:\n  - name: a\n    dependencies: [ghost]\n")
    with pytest.raises(relay.ConfigError) as info:
        relay.Workspace.open(tmp_path / "relay.yaml")
    message = str(info.value)
    assert "relay.yaml" in message
    assert ":3" in message, message
    assert "ghost" in message


async def test_unknown_repositories_raise_repo_error_listing_the_known_ones(workspace_dir: Path):
    ws = relay.Workspace.open(workspace_dir)
    with pytest.raises(relay.RepoError) as info:
        await ws.status(repos=["nope"])
    assert info.value.code == "unknown_repo"
    assert "shared-api, backend, frontend" in str(info.value)
    with pytest.raises(relay.RepoError):
        ws.impact(["nope"])
    with pytest.raises(relay.UsageError):
        ws.sync(repos=["backend"], affected_by=["backend"])


async def test_sync_clones_a_missing_repository_from_its_url(tmp_path: Path):
    origin = tmp_path / "origin" / "lib"
    origin.mkdir(parents=True)
    git(origin, "init", "-q", "-b", "main")
    (origin / "lib.txt").write_text("v1\n")
    git(origin, "add", ".")
    git(origin, "commit", "-q", "-m", "v1")
    ws_dir = tmp_path / "ws"
    ws_dir.mkdir()
    (ws_dir / "relay.yaml").write_text(f"repositories:\n  - name: lib\n    url: {origin}\n")
    ws = relay.Workspace.open(ws_dir)
    job = ws.sync()
    events = [e async for e in job]
    report = await job.wait()
    assert [(r["name"], r["action"]) for r in report["repos"]] == [("lib", "cloned")]
    assert events[0]["operation"] == "sync"
    assert any(e["type"] == "repo_finished" and e["repo"] == "lib" for e in events)
    assert (ws_dir / "lib" / "lib.txt").read_text() == "v1\n"
    assert git(ws_dir / "lib", "rev-parse", "HEAD") == git(origin, "rev-parse", "HEAD")
