"""Voice sessions from Python: the offline text transport over the real repository tools, and
the OpenAI Realtime transport against the fake Realtime server (relay-testkit realtime)."""

import asyncio
import json
import math
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import relay

Event = dict[str, Any]


async def until(session: relay.VoiceSession, stop: Callable[[Event], bool], timeout: float = 20) -> list[Event]:
    """Events up to and including the first that matches ``stop``; fails after ``timeout``."""
    seen: list[Event] = []

    async def read() -> None:
        async for event in session:
            seen.append(event)
            if stop(event):
                return
        pytest.fail(f"the session ended before the expected event; events: {seen}")

    try:
        await asyncio.wait_for(read(), timeout)
    except TimeoutError:
        pytest.fail(f"timed out; events so far: {seen}")
    return seen


def says(needle: str) -> Callable[[Event], bool]:
    return lambda e: e["type"] == "assistant_text" and needle in e["text"]


def of_type(events: list[Event], kind: str) -> list[Event]:
    return [e for e in events if e["type"] == kind]


def pcm(ms: int, loud: bool) -> bytes:
    """24 kHz PCM16 mono: a loud 300 Hz tone, or silence."""
    n = ms * 24
    samples = (int(math.sin(i * 300 * math.tau / 24_000) * 12_000) if loud else 0 for i in range(n))
    return struct.pack(f"<{n}h", *samples)


# --- The text transport -----------------------------------------------------------------------------


async def test_text_session_calls_tools_and_replies(workspace_dir: Path):
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    session = await relay.VoiceSession.start(tools, transport="text")
    assert session.transport == "text"
    session.send_text("what is the impact of shared-api")
    events = await until(session, says("Changing shared-api"))
    assert events[0]["type"] == "session_started"
    assert of_type(events, "user_transcript")[0]["text"] == "what is the impact of shared-api"
    (started,) = of_type(events, "tool_call_started")
    (finished,) = of_type(events, "tool_call_finished")
    assert (started["name"], json.loads(started["arguments"])) == ("impact_analysis", {"repos": ["shared-api"]})
    assert finished["call_id"] == started["call_id"] and finished["ok"] is True
    assert json.loads(finished["output"])["all_dependents"] == ["backend", "frontend"]
    assert events[-1]["text"] == "Changing shared-api affects backend, frontend (directly: backend)."

    # The session's tool calls share the registry's context.
    session.send_text("switch to frontend")
    events = await until(session, says("Primary project"))
    assert events[-1]["text"] == "Primary project is now frontend; related: backend."
    assert tools.primary_project() == {"name": "frontend", "related": ["backend"]}

    # Audio has no meaning here: an error event, and the session goes on.
    session.send_audio(pcm(10, True))
    events = await until(session, lambda e: e["type"] == "error")
    assert events[-1]["code"] == "audio_not_supported"

    session.close()
    events = await until(session, lambda e: e["type"] == "closed")
    assert events[-1]["reason"]
    assert [e async for e in session] == [], "nothing follows `closed`"
    assert await session.next_batch() is None
    assert session.metrics()["tool_calls"] == 2
    with pytest.raises(relay.VoiceError):
        session.send_text("anyone there?")


async def test_leaving_the_event_loop_early_loses_no_event(workspace_dir: Path):
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    async with await relay.VoiceSession.start(tools, transport="text") as session:
        for utterance in ("what is the impact of shared-api", "what is the impact of backend"):
            session.send_text(utterance)
        await asyncio.sleep(0.5)  # both replies are ready: one batch holds them all
        first = await until(session, lambda e: e["type"] == "tool_call_started")
        rest = await until(session, says("Changing backend"))
    seen = first + rest
    assert [e["text"] for e in of_type(seen, "user_transcript")] == [
        "what is the impact of shared-api",
        "what is the impact of backend",
    ]
    assert [e["name"] for e in of_type(seen, "tool_call_finished")] == ["impact_analysis"] * 2
    assert len(of_type(seen, "assistant_text")) == 2
    # `async with` closed it.
    events = await until(session, lambda e: e["type"] == "closed")
    assert events[-1]["type"] == "closed"


async def test_bad_voice_options_are_clear_errors(workspace_dir: Path, monkeypatch: pytest.MonkeyPatch):
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    with pytest.raises(relay.UsageError, match="unknown voice transport `phone`"):
        await relay.VoiceSession.start(tools, transport="phone")
    with pytest.raises(relay.UsageError, match="pcm16, pcmu or pcma"):
        await relay.VoiceSession.start(tools, transport="text", audio_format="mp3")
    with pytest.raises(relay.UsageError, match="config_json"):
        await relay.VoiceSession.start(tools, transport="text", config={"voice": 3})
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(relay.VoiceError) as info:
        await relay.VoiceSession.start(tools, transport="realtime")
    assert "OPENAI_API_KEY" in str(info.value)
    with pytest.raises(TypeError):
        await relay.VoiceSession.start("not tools")  # type: ignore[arg-type]


# --- OpenAI Realtime (the fake Realtime server) -------------------------------------------------------


def say(text: str, audio_ms: int) -> dict[str, Any]:
    return {"kind": "say", "text": text, "audio_ms": audio_ms}


def call(name: str, arguments: str) -> dict[str, Any]:
    return {"kind": "call", "calls": [{"name": name, "arguments": arguments}]}


async def test_realtime_text_in_tool_call_audio_and_transcript_out(workspace_dir: Path, realtime):
    url = realtime({"turns": [call("project_status", "{}"), say("Briefing done.", 400)]})
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    async with await relay.VoiceSession.start(tools, url=url, api_key="sk-test-key") as session:
        assert session.transport == "openai-realtime"
        session.send_text("good morning, where are we?")
        events = await until(session, says("Briefing done."))
        assert events[0]["type"] == "session_started"
        (finished,) = of_type(events, "tool_call_finished")
        assert (finished["name"], finished["ok"]) == ("project_status", True)
        status = json.loads(finished["output"])
        assert status["summary"].startswith("3 repositories")
        assert [r["name"] for r in status["repositories"]] == ["shared-api", "backend", "frontend"]
        audio = of_type(events, "assistant_audio")
        assert audio, "the reply carried audio"
        assert all(isinstance(a["audio"], bytes) for a in audio)
        received = sum(len(a["audio"]) for a in audio)
        assert received == 400 * 48, "400 ms of 24 kHz PCM16"
        assert "".join(d["delta"] for d in of_type(events, "assistant_text_delta")) == "Briefing done."
        metrics = session.metrics()
        assert metrics["tool_calls"] == 1
        assert (metrics["audio_bytes_out"], metrics["audio_bytes_in"]) == (received, 0)
        assert metrics["responses"] >= 1, "the tool call's response is done (the reply's may still be open)"
        assert metrics["last_time_to_first_audio_ms"] is not None


async def test_realtime_barge_in_truncates_at_the_reported_playback(workspace_dir: Path, realtime):
    # A long answer paced in real time (100 ms chunks every 100 ms), so that a busy machine
    # still has seconds to talk over it; the barge-in ends it early.
    url = realtime(
        {
            "turns": [say("one two three four five six seven eight nine ten eleven twelve", 10_000)],
            "audio_chunk_ms": 100,
            "chunk_interval_ms": 100,
        }
    )
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    async with await relay.VoiceSession.start(tools, url=url, api_key="sk-test-key") as session:
        session.send_text("count")
        received_ms = 0
        item = None

        def enough(event: Event) -> bool:
            nonlocal received_ms, item
            if event["type"] == "assistant_audio":
                item = event["item_id"]
                received_ms += len(event["audio"]) // 48
            return received_ms >= 500

        await until(session, enough)
        assert item is not None
        session.report_playback(item, 320)
        session.send_audio(pcm(200, True))  # the user talks over the reply
        events = await until(session, lambda e: e["type"] == "interrupted")
        assert events[-1] == {"type": "interrupted", "item_id": item, "audio_end_ms": 320}
        events = await until(session, lambda e: e["type"] == "response_done")
        assert events[-1]["status"] == "cancelled"


async def test_realtime_rejects_a_wrong_key_without_echoing_it(workspace_dir: Path, realtime):
    url = realtime({"api_key": "sk-the-right-key"})
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    wrong = "sk-wrong-key-0123456789"
    with pytest.raises(relay.VoiceError) as info:
        await relay.VoiceSession.start(tools, url=url, api_key=wrong)
    assert wrong not in str(info.value) and "sk-the-right-key" not in str(info.value)
    assert "key" in str(info.value).lower(), str(info.value)
    assert info.value.code == "unauthorized"
    assert "401" in str(info.value)


async def test_realtime_model_runs_the_agent_tool_in_a_repository(workspace_dir: Path, realtime):
    url = realtime(
        {"turns": [call("run_agent_task", '{"task": "touch by-voice.txt", "repos": ["backend"]}'), say("Done.", 200)]}
    )
    tools = relay.Tools(relay.Workspace.open(workspace_dir), agent="shell")
    async with await relay.VoiceSession.start(tools, url=url, api_key="sk-test-key") as session:
        session.send_text("create by-voice.txt in backend")
        events = await until(session, says("Done."), timeout=60)
    (finished,) = of_type(events, "tool_call_finished")
    assert (finished["name"], finished["ok"]) == ("run_agent_task", True), finished
    output = json.loads(finished["output"])
    assert [(r["name"], r["outcome"], r["changed_files"]) for r in output["repositories"]] == [
        ("backend", "success", ["by-voice.txt"])
    ]
    assert (workspace_dir / "backend" / "by-voice.txt").exists()
    assert not (workspace_dir / "frontend" / "by-voice.txt").exists()
