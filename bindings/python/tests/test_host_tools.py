"""Tools written in Python, registered next to Relay's: called through `Tools.call`, validated
against their schema, failing readably, cancelled with their caller, and called by a voice
model (the text transport and the fake Realtime server)."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import relay
from test_voice import call, of_type, until

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city"],
}


@pytest.fixture
def tools(workspace_dir: Path) -> relay.Tools:
    return relay.Tools(relay.Workspace.open(workspace_dir))


async def test_sync_and_async_tools_are_advertised_and_called(tools: relay.Tools):
    seen: list[dict[str, Any]] = []

    def weather(args: dict[str, Any]) -> dict[str, Any]:
        seen.append(args)
        return {"city": args["city"], "sky": "clear", "days": args.get("days", 1)}

    async def forecast(args: dict[str, Any]) -> list[str]:
        await asyncio.sleep(0.01)  # really suspends: the call waits for the task
        return [f"{args['city']}: rain"] * args["days"]

    tools.register("weather", weather, description="The weather in a city.", parameters=WEATHER_SCHEMA)
    tools.register(
        "forecast",
        forecast,
        description="A forecast.",
        parameters=json.dumps(WEATHER_SCHEMA),  # JSON text works too
        permission="session",
        long_running=True,
        timeout_secs=30,
    )
    by_name = {s["name"]: s for s in tools.specs()}
    assert by_name["weather"]["description"] == "The weather in a city."
    assert by_name["weather"]["parameters"] == WEATHER_SCHEMA
    assert (by_name["weather"]["permission"], by_name["weather"]["long_running"]) == ("read", False)
    assert (by_name["forecast"]["permission"], by_name["forecast"]["long_running"]) == ("session", True)
    assert by_name["forecast"]["timeout"] == 30_000, "milliseconds"
    assert "project_status" in by_name, "Relay's tools stay"
    realtime = {t["name"]: t for t in tools.realtime_tools()}
    assert realtime["weather"] == {
        "type": "function",
        "name": "weather",
        "description": "The weather in a city.",
        "parameters": WEATHER_SCHEMA,
    }

    assert await tools.call("weather", {"city": "Oslo", "days": 2}) == {
        "ok": True,
        "value": {"city": "Oslo", "sky": "clear", "days": 2},
    }
    assert seen == [{"city": "Oslo", "days": 2}]
    assert await tools.call("forecast", '{"city": "Bergen", "days": 2}') == {
        "ok": True,
        "value": ["Bergen: rain", "Bergen: rain"],
    }
    # The job form, and a tool without parameters returning text (a JSON-looking str stays a str).
    tools.register("answer", lambda args: "42", description="The answer.")
    job = tools.invoke("answer")
    assert "progress" not in [e["type"] async for e in job]
    assert await job.wait() == {"ok": True, "value": "42"}
    assert repr(tools).startswith("<relay.Tools ")


async def test_decorator_form_uses_the_name_and_docstring(tools: relay.Tools):
    @tools.tool(parameters={"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})
    async def shout(args: dict[str, Any]) -> str:
        """Says the text loudly."""
        return args["text"].upper()

    @tools.tool
    def ping(args: dict[str, Any]) -> str:
        """Answers pong."""
        return "pong"

    @tools.tool("clock", description="The time.")
    def now(args: dict[str, Any]) -> dict[str, int]:
        return {"hour": 9}

    assert await shout({"text": "hi"}) == "HI", "the function is returned unchanged"
    by_name = {s["name"]: s for s in tools.specs()}
    assert by_name["shout"]["description"] == "Says the text loudly."
    assert by_name["ping"]["description"] == "Answers pong."
    assert by_name["clock"]["description"] == "The time."
    assert await tools.call("shout", {"text": "hey"}) == {"ok": True, "value": "HEY"}
    assert await tools.call("ping") == {"ok": True, "value": "pong"}
    assert await tools.call("clock") == {"ok": True, "value": {"hour": 9}}
    with pytest.raises(TypeError, match="tool name must be a str"):
        tools.tool(3)  # type: ignore[arg-type]
    with pytest.raises(relay.UsageError, match="needs a description"):

        @tools.tool
        def undocumented(args: dict[str, Any]) -> None:
            pass


async def test_invalid_arguments_never_reach_the_function(tools: relay.Tools):
    calls: list[Any] = []
    tools.register("weather", calls.append, description="The weather.", parameters=WEATHER_SCHEMA)
    for arguments, problem in (
        ({"town": "Oslo"}, "city"),
        ({"city": 7}, "expected string"),
        ('{"city": "Oslo"', "JSON"),
    ):
        result = await tools.call("weather", arguments)
        assert result["ok"] is False, result
        assert problem in result["value"]["error"], result
        assert "schema" in result["value"]["hint"], result
    assert calls == []


async def test_failures_are_readable_outputs(tools: relay.Tools):
    def sync_raises(args: dict[str, Any]) -> Any:
        raise ValueError(f"no such city: {args['city']}")

    async def async_raises(args: dict[str, Any]) -> Any:
        await asyncio.sleep(0)
        raise LookupError("the weather service is down")

    tools.register("sync_raises", sync_raises, description="Raises.", parameters=WEATHER_SCHEMA)
    tools.register("async_raises", async_raises, description="Raises later.")
    tools.register("returns_a_set", lambda args: {1, 2}, description="Returns a set.")

    result = await tools.call("sync_raises", {"city": "Atlantis"})
    assert result == {
        "ok": False,
        "value": {"error": "ValueError: no such city: Atlantis", "hint": "tell the user what failed"},
    }
    result = await tools.call("async_raises")
    assert result["ok"] is False
    assert result["value"]["error"] == "LookupError: the weather service is down"
    result = await tools.call("returns_a_set")
    assert result["ok"] is False
    error = result["value"]["error"]
    assert "returned a set, which is not JSON-serializable" in error, error
    assert "return a dict, list, str, number, bool or None" in error, error


async def test_cancelling_the_call_or_a_timeout_cancels_the_async_tool(tools: relay.Tools):
    started = asyncio.Event()
    outcomes: list[str] = []

    async def slow(args: dict[str, Any]) -> str:
        started.set()
        try:
            await asyncio.sleep(300)
        except asyncio.CancelledError:
            outcomes.append("cancelled")
            raise
        return "done"

    tools.register("slow", slow, description="Takes long.")
    tools.register("slow_limited", slow, description="Takes too long.", timeout_secs=1)

    task = asyncio.create_task(tools.call("slow"))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(200):
        if outcomes:
            break
        await asyncio.sleep(0.01)
    assert outcomes == ["cancelled"], "the tool's task is cancelled with its caller"

    started.clear()
    result = await asyncio.wait_for(tools.call("slow_limited"), 20)
    assert result["ok"] is False
    assert "did not finish within 1 s" in result["value"]["error"], result
    for _ in range(200):
        if len(outcomes) == 2:
            break
        await asyncio.sleep(0.01)
    assert outcomes == ["cancelled", "cancelled"], "a timed-out tool's task is cancelled too"


async def test_registration_errors_are_clear(tools: relay.Tools):
    def f(args: dict[str, Any]) -> None:
        return None

    with pytest.raises(relay.UsageError, match="tool name `bad name` is not usable"):
        tools.register("bad name", f, description="x")
    with pytest.raises(relay.UsageError, match="a tool named `project_status` is already registered"):
        tools.register("project_status", f, description="Shadows Relay's tool.")
    tools.register("mine", f, description="Mine.")
    with pytest.raises(relay.UsageError, match="a tool named `mine` is already registered"):
        tools.register("mine", f, description="Again.")
    with pytest.raises(relay.UsageError, match='must be a JSON Schema with "type": "object"'):
        tools.register("listy", f, description="x", parameters={"type": "string"})
    with pytest.raises(relay.UsageError, match="must be a JSON Schema dict"):
        tools.register("unserializable", f, description="x", parameters={"type": "object", "default": {1, 2}})
    with pytest.raises(relay.UsageError, match="are not JSON"):
        tools.register("broken", f, description="x", parameters='{"type": ')
    with pytest.raises(relay.UsageError, match="unknown permission `sudo`"):
        tools.register("root", f, description="x", permission="sudo")
    with pytest.raises(TypeError, match="needs a function taking the arguments dict"):
        tools.register("not_callable", 42, description="x")  # type: ignore[arg-type]
    names = [s["name"] for s in tools.specs()]
    assert "mine" in names
    assert not {"bad name", "listy", "unserializable", "broken", "root", "not_callable"} & set(names)
    assert len([n for n in names if n == "project_status"]) == 1


def test_registering_without_a_running_loop_says_where_to_do_it(workspace_dir: Path):
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    with pytest.raises(relay.UsageError, match="register it from a coroutine"):
        tools.register("weather", lambda args: None, description="x")


def test_a_tool_whose_loop_is_gone_fails_instead_of_hanging(workspace_dir: Path):
    import gc

    called: list[Any] = []
    tools = relay.Tools(relay.Workspace.open(workspace_dir))

    async def register() -> None:
        tools.register("weather", called.append, description="x")

    asyncio.run(register())
    gc.collect()  # the first loop (and with it its completion port) is gone

    async def use() -> dict[str, Any]:
        return await asyncio.wait_for(tools.call("weather"), 20)

    result = asyncio.run(use())
    assert called == []
    assert result["ok"] is False
    assert "event loop it was registered from is closed" in result["value"]["error"], result


# --- Voice sessions -------------------------------------------------------------------------------


async def test_text_session_calls_the_python_tool(tools: relay.Tools):
    before = await relay.VoiceSession.start(tools, transport="text")

    def weather(args: dict[str, Any]) -> dict[str, Any]:
        return {"city": args["city"], "sky": "clear"}

    tools.register("weather", weather, description="The weather in a city.", parameters=WEATHER_SCHEMA)
    async with await relay.VoiceSession.start(tools, transport="text") as session:
        session.send_text('/weather {"city": "Oslo"}')
        events = await until(session, lambda e: e["type"] == "assistant_text")
        (started,) = of_type(events, "tool_call_started")
        (finished,) = of_type(events, "tool_call_finished")
        assert (started["name"], json.loads(started["arguments"])) == ("weather", {"city": "Oslo"})
        assert finished["ok"] is True, finished
        assert json.loads(finished["output"]) == {"city": "Oslo", "sky": "clear"}

        session.send_text('/weather {"town": "Oslo"}')
        events = await until(session, lambda e: e["type"] == "assistant_text")
        (finished,) = of_type(events, "tool_call_finished")
        assert finished["ok"] is False and "city" in finished["output"], finished

    # A session started before the registration keeps the tools it started with.
    async with before:
        before.send_text('/weather {"city": "Oslo"}')
        events = await until(before, lambda e: e["type"] == "assistant_text")
        (finished,) = of_type(events, "tool_call_finished")
        assert finished["ok"] is False and "weather" in finished["output"], finished


async def test_realtime_model_calls_the_python_tool_and_gets_its_result(tools: relay.Tools, realtime):
    async def weather(args: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"city": args["city"], "sky": "overcast", "celsius": 4}

    tools.register("weather", weather, description="The weather in a city.", parameters=WEATHER_SCHEMA)
    # After the call the fake model reads back the function_call_output it received ("Results: ...").
    url = realtime({"turns": [call("weather", '{"city": "Tromsø"}')]})
    async with await relay.VoiceSession.start(tools, url=url, api_key="sk-test-key") as session:
        session.send_text("how is the weather in Tromsø?")
        events = await until(session, lambda e: e["type"] == "assistant_text" and e["text"].startswith("Results:"))
    (finished,) = of_type(events, "tool_call_finished")
    assert (finished["name"], finished["ok"]) == ("weather", True), finished
    received = events[-1]["text"].removeprefix("Results: ")
    assert json.loads(received) == {"city": "Tromsø", "sky": "overcast", "celsius": 4}


async def test_many_concurrent_calls_all_come_back(tools: relay.Tools):
    # Every call crosses twice between tokio threads and the loop (the call itself, then its
    # result). Thousands at once make pushes race the loop's drain of its completion port; a
    # lost wake-up there once left a call waiting forever (seen as a rare hang in CI).
    async def echo(args: dict[str, Any]) -> int:
        return args["n"]

    tools.register(
        "echo",
        echo,
        description="Returns n.",
        parameters={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
    )
    for _ in range(5):
        calls = [tools.call("echo", {"n": n}) for n in range(400)]
        results = await asyncio.wait_for(asyncio.gather(*calls), 60)
        assert [r["value"] for r in results] == list(range(400))
