"""Relay's memory from Python (issue 12): the store by URL, the acting user, saved sessions,
durable jobs (list, show, resume, cancel) and the audit log (query, verify) — against a real SQLite
store in a temporary workspace and a real redis-server on a free loopback port."""

import asyncio
import json
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import relay

from conftest import git

TEAM = """\
team:
  - user: ann
    role: developer
  - user: carl
    role: team_lead
  - user: root
    role: admin
"""


@pytest.fixture
def team_dir(workspace_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The three-repository workspace with a team: ann (developer), carl (team_lead), root (admin)."""
    monkeypatch.delenv("RELAY_STORE_URL", raising=False)
    monkeypatch.delenv("RELAY_USER", raising=False)
    with (workspace_dir / "relay.yaml").open("a") as f:
        f.write(TEAM)
    for name in ("shared-api", "backend", "frontend"):
        remote = workspace_dir / "remotes" / f"{name}.git"
        git(workspace_dir, "clone", "-q", "--bare", name, str(remote))
        git(workspace_dir / name, "remote", "add", "origin", str(remote))
        git(workspace_dir / name, "fetch", "-q", "origin")
        git(workspace_dir / name, "branch", "-q", "--set-upstream-to=origin/main", "main")
    return workspace_dir


async def drain(job: relay.Job) -> list[dict[str, Any]]:
    events = []
    async for event in job:
        events.append(event)
    return events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Opening: the store URL and the acting user ----------------------------------------------------


async def test_the_default_store_is_the_workspace_sqlite_file_and_whoami_comes_from_the_team(team_dir: Path):
    ann = await relay.Memory.open(team_dir, user="ann")
    assert ann.store_url == f"sqlite:{team_dir / '.relay' / 'relay.db'}"
    assert (team_dir / ".relay" / "relay.db").is_file()
    me = ann.whoami()
    assert (me["user"], me["role"]) == ("ann", "developer")
    assert "write_repos" in me["permissions"] and "team" not in me["permissions"]
    assert "repository_write" in me["plan_permissions"]
    assert me["limits"]["max_environments"] == 2
    carl = (await relay.Memory.open(team_dir, user="carl")).whoami()
    assert carl["role"] == "team_lead" and "team" in carl["permissions"] and "admin" not in carl["permissions"]


async def test_relay_store_url_and_an_explicit_store_are_honoured(
    team_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RELAY_STORE_URL", f"sqlite:{tmp_path / 'from-env.db'}")
    from_env = await relay.Memory.open(team_dir, user="ann")
    assert from_env.store_url == f"sqlite:{tmp_path / 'from-env.db'}"
    assert (tmp_path / "from-env.db").is_file()
    explicit = await relay.Memory.open(team_dir, store=f"sqlite:{tmp_path / 'given.db'}", user="ann")
    assert explicit.store_url == f"sqlite:{tmp_path / 'given.db'}"


async def test_a_bad_or_unreachable_store_is_a_store_error_with_the_password_redacted(team_dir: Path):
    with pytest.raises(relay.StoreError) as bad:
        await relay.Memory.open(team_dir, store="postgres://db/relay", user="ann")
    assert bad.value.code == "store_invalid_url"
    assert "postgres://db/relay" in str(bad.value)

    port = free_port()  # nothing listens there
    with pytest.raises(relay.StoreError) as down:
        await relay.Memory.open(team_dir, store=f"redis://:hunter2@127.0.0.1:{port}/0", user="ann")
    assert down.value.code == "store_unavailable"
    message = str(down.value)
    assert f"redis://***@127.0.0.1:{port}/0" in message, message
    assert "hunter2" not in message

    with pytest.raises(relay.StoreError) as unwritable:
        await relay.Memory.open(team_dir, store="sqlite:/proc/no-such-dir/relay.db", user="ann")
    assert unwritable.value.code == "store_unavailable"
    assert "/proc/no-such-dir/relay.db" in str(unwritable.value)


async def test_a_user_outside_the_team_and_a_wrong_token_are_refused(team_dir: Path):
    with pytest.raises(relay.UsageError) as outsider:
        await relay.Memory.open(team_dir, user="mallory")
    assert outsider.value.code == "unauthenticated"
    assert "`mallory` is not in the team" in str(outsider.value)
    with pytest.raises(relay.UsageError) as wrong:
        await relay.Memory.open(team_dir, token="relay_" + "0" * 64)
    assert wrong.value.code == "unauthenticated"
    assert "0" * 64 not in str(wrong.value)


# --- Durable jobs ------------------------------------------------------------------------------------


async def test_a_queued_sync_is_listed_shown_resumed_with_its_events_and_cannot_be_resumed_twice(team_dir: Path):
    ann = await relay.Memory.open(team_dir, user="ann")
    queued = await ann.enqueue_sync(repos=["backend"])
    assert (queued["state"], queued["operation"], queued["user"]) == ("queued", "sync", "ann")
    assert queued["spec"]["repos"] == ["backend"]
    assert [j["id"] for j in await ann.jobs()] == [queued["id"]]

    job = await ann.resume_job(queued["id"])
    events = await drain(job)
    await job.wait()
    assert events[-1]["type"] == "job_finished" and events[-1]["status"] == "succeeded", events
    assert [(e["repo"], e["outcome"]) for e in events if e["type"] == "repo_finished"] == [("backend", "success")]

    shown = await ann.job(queued["id"])
    assert shown["job"]["state"] == "succeeded"
    assert shown["job"]["done"] == ["backend"]
    recorded = [e for e in shown["events"] if e["type"] == "repo_finished"]
    assert [e["repo"] for e in recorded] == ["backend"]

    with pytest.raises(relay.UsageError) as again:
        await ann.resume_job(queued["id"])
    assert "is succeeded; only an interrupted, failed or queued job can be resumed" in str(again.value)
    with pytest.raises(relay.UsageError) as done:
        await ann.cancel_job(queued["id"])
    assert "already succeeded; nothing to cancel" in str(done.value)


async def test_cancel_and_the_bad_paths_of_jobs(team_dir: Path):
    ann = await relay.Memory.open(team_dir, user="ann")
    carl = await relay.Memory.open(team_dir, user="carl")
    queued = await ann.enqueue_sync()
    cancelled = await ann.cancel_job(queued["id"])
    assert cancelled["state"] == "cancelled" and cancelled["message"] == "cancelled by ann"
    assert (await ann.job(queued["id"]))["job"]["state"] == "cancelled"
    with pytest.raises(relay.UsageError, match="is cancelled; only an interrupted, failed or queued job"):
        await ann.resume_job(queued["id"])

    for call in (ann.job, ann.resume_job, ann.cancel_job):
        with pytest.raises(relay.UsageError) as unknown:
            await call("job-that-never-was")
        assert unknown.value.code == "usage"
        assert "no job `job-that-never-was`" in str(unknown.value)

    with pytest.raises(relay.RepoError) as bad_repo:
        await ann.enqueue_sync(repos=["nope"])
    assert bad_repo.value.code == "unknown_repo"

    # A developer sees only their own jobs; a team lead sees everyone's.
    carls = await carl.enqueue_sync(repos=["frontend"])
    assert carls["id"] not in [j["id"] for j in await ann.jobs()]
    assert {queued["id"], carls["id"]} <= {j["id"] for j in await carl.jobs()}
    with pytest.raises(relay.UsageError) as denied:
        await ann.job(carls["id"])
    assert denied.value.code == "denied"
    assert "ann (developer) may not see carl's job" in str(denied.value)
    assert "the team_lead role has" in str(denied.value)


# --- Sessions ----------------------------------------------------------------------------------------


async def converse(tools: relay.Tools, text: str) -> list[dict[str, Any]]:
    session = await relay.VoiceSession.start(tools, transport="text")
    session.send_text(text)
    seen = []

    async def read() -> None:
        async for event in session:
            seen.append(event)
            if event["type"] == "assistant_text":
                return

    await asyncio.wait_for(read(), 30)
    session.close()
    return seen


async def test_a_conversation_is_saved_listed_shown_resumed_and_deleted(team_dir: Path):
    ann = await relay.Memory.open(team_dir, user="ann")
    assert await ann.sessions() == []
    await converse(await ann.tools(session="morning"), "what is the impact of shared-api")

    [summary] = await ann.sessions()
    assert (summary["id"], summary["user"], summary["turns"]) == ("morning", "ann", 3)
    assert summary["expires_ms"] > summary["updated_ms"]
    saved = await ann.session("morning")
    roles = [t["role"] for t in saved["turns"]]
    assert roles == ["user", "tool", "assistant"], saved
    assert saved["turns"][0]["text"] == "what is the impact of shared-api"
    assert saved["turns"][1]["tool"]["name"] == "impact_analysis"
    assert "Changing shared-api affects backend, frontend" in saved["turns"][2]["text"]

    # Resuming adds to the same conversation.
    await converse(await ann.tools(session="morning"), "what is the impact of backend")
    assert len((await ann.session("morning"))["turns"]) == 6

    # Another user's session: hidden from a developer, visible to a team lead.
    carl = await relay.Memory.open(team_dir, user="carl")
    await converse(await carl.tools(session="carl-notes"), "what is the impact of frontend")
    assert [s["id"] for s in await ann.sessions()] == ["morning"]
    assert {s["id"] for s in await carl.sessions()} == {"morning", "carl-notes"}
    with pytest.raises(relay.UsageError) as denied:
        await ann.session("carl-notes")
    assert denied.value.code == "denied"
    with pytest.raises(relay.UsageError):
        await ann.delete_session("carl-notes")

    assert await ann.delete_session("morning") is True
    assert await ann.delete_session("morning") is False
    with pytest.raises(relay.UsageError) as gone:
        await ann.session("morning")
    assert gone.value.code == "unknown_session"
    with pytest.raises(relay.UsageError, match="1 to 100 printable characters"):
        await ann.tools(session="")


# --- The audit log -----------------------------------------------------------------------------------


async def test_a_denied_tool_call_is_attributed_in_the_audit_log(team_dir: Path):
    ann = await relay.Memory.open(team_dir, user="ann")
    tools = await ann.tools()
    tools.register(
        "rotate_keys",
        lambda args: "rotated",
        description="Rotates the team's deploy keys.",
        permission="team",
    )
    out = await tools.call("rotate_keys", {})
    assert out["ok"] is False
    assert "needs the `team` permission: ann is a developer; the team_lead role has it" in json.dumps(out)
    ok = await tools.call("impact_analysis", {"repos": ["shared-api"]})
    assert ok["ok"] is True, ok

    records = await ann.audit()
    assert [(r["entry"]["action"], r["entry"]["outcome"]) for r in records] == [
        ("rotate_keys", "denied"),
        ("impact_analysis", "ok"),
    ]
    denied = records[0]["entry"]
    assert (denied["user"], denied["role"], denied["kind"]) == ("ann", "developer", "tool")
    assert "team_lead role" in denied["detail"]
    assert [r["seq"] for r in await ann.audit(limit=1)] == [records[1]["seq"]]
    assert len(await ann.audit(since="1h")) == 2
    assert len(await ann.audit(since="1h", user="ann", limit=5)) == 2

    # The same for a team lead, who also reads the others' entries; a developer may not.
    carl = await relay.Memory.open(team_dir, user="carl")
    assert len(await carl.audit(user="ann")) == 2
    with pytest.raises(relay.UsageError) as other:
        await ann.audit(user="carl")
    assert other.value.code == "denied"
    with pytest.raises(relay.UsageError, match="invalid duration `yesterday`"):
        await ann.audit(since="yesterday")
    with pytest.raises(relay.UsageError) as verify:
        await ann.verify_audit()
    assert "ann (developer) may not verify the audit log" in str(verify.value)


async def test_verify_finds_the_first_changed_and_the_removed_entry_in_the_sqlite_file(team_dir: Path):
    root = await relay.Memory.open(team_dir, user="root")
    tools = await root.tools()
    for repo in ("shared-api", "backend", "frontend"):
        assert (await tools.call("impact_analysis", {"repos": [repo]}))["ok"]
    assert await root.verify_audit() == {"status": "intact", "records": 3}

    db = team_dir / ".relay" / "relay.db"
    with sqlite3.connect(db) as conn:
        (text,) = conn.execute("SELECT record FROM audit WHERE seq = 2").fetchone()
        record = json.loads(text)
        assert record["entry"]["args"] == {"repos": ["backend"]}
        record["entry"]["args"] = {"repos": ["shared-api"]}
        conn.execute("UPDATE audit SET record = ? WHERE seq = 2", (json.dumps(record),))
    changed = await root.verify_audit()
    assert changed["status"] == "broken" and changed["seq"] == 2, changed
    assert "entry 2 was changed after it was written" in changed["problem"]

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit SET record = ? WHERE seq = 2", (text,))
    assert (await root.verify_audit())["status"] == "intact"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit WHERE seq = 2")
    removed = await root.verify_audit()
    assert (removed["status"], removed["seq"]) == ("broken", 2), removed
    assert "entry 2 was removed" in removed["problem"]


# --- Redis -------------------------------------------------------------------------------------------


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A real redis-server on a free loopback port, stopped afterwards (scripts/setup/redis.sh)."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is required; install it with scripts/setup/redis.sh")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(500):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"redis-server exited: {process.stderr.read().decode() if process.stderr else ''}")
                time.sleep(0.02)
        else:
            pytest.fail("redis-server did not answer PING")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


async def test_jobs_sessions_and_the_audit_log_on_redis_are_shared_between_memories(
    team_dir: Path, redis_url: str
):
    ann = await relay.Memory.open(team_dir, store=redis_url, user="ann")
    assert ann.store_url == redis_url
    carl = await relay.Memory.open(team_dir, store=redis_url, user="carl")

    queued = await ann.enqueue_sync(repos=["shared-api"])
    # Another Relay on the same Redis (here: carl's memory) sees and finishes it.
    assert queued["id"] in [j["id"] for j in await carl.jobs()]
    job = await carl.resume_job(queued["id"])
    await drain(job)
    await job.wait()
    shown = await ann.job(queued["id"])
    assert shown["job"]["state"] == "succeeded" and shown["job"]["done"] == ["shared-api"]
    assert any(e["type"] == "repo_finished" for e in shown["events"])

    await converse(await ann.tools(session="on-redis"), "what is the impact of shared-api")
    [summary] = await carl.sessions()
    assert (summary["id"], summary["user"], summary["turns"]) == ("on-redis", "ann", 3)

    tools = await ann.tools()
    tools.register("rotate_keys", lambda args: "rotated", description="Rotates keys.", permission="team")
    assert (await tools.call("rotate_keys", {}))["ok"] is False
    entries = [r["entry"] for r in await carl.audit(user="ann")]
    assert ("rotate_keys", "denied", "ann") in [(e["action"], e["outcome"], e["user"]) for e in entries]
    assert (await carl.verify_audit())["status"] == "intact"
