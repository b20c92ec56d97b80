"""The official MCP Python SDK as a client of `relay mcp` (run by crates/relay-cli/tests/mcp.rs).

Usage: client.py CASE CONFIG.json
  CONFIG: {"transport": "stdio"|"http", "relay": path, "workspace": path, "url": ..., "token": ...,
           "expected": {"specs": [...], "impact": {...}, "repos": [...]}}
Every check raises AssertionError with what was expected; the last line printed is "PASS <case>".
"""

import json
import os
import sys
from contextlib import asynccontextmanager

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


@asynccontextmanager
async def connect(cfg, allow=None, elicitation=None):
    """A session with `relay mcp` over the configured transport (stdio: declaring elicitation
    when `elicitation` is the callback answering it)."""
    if cfg["transport"] == "stdio":
        args = ["mcp", "--workspace", cfg["workspace"]]
        if allow:
            args += ["--allow", allow, "--agent", "shell"]
        params = StdioServerParameters(command=cfg["relay"], args=args, env=dict(os.environ))
        async with stdio_client(params) as streams:
            async with ClientSession(streams[0], streams[1], elicitation_callback=elicitation) as session:
                yield session
    else:
        url = cfg["url_widened"] if allow else cfg["url"]
        headers = {"Authorization": f"Bearer {cfg['token']}"}
        async with create_mcp_http_client(headers=headers) as http:
            async with streamable_http_client(url, http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    yield session


def payload(result):
    """The JSON text of a tool result (Relay answers with one text block)."""
    assert len(result.content) == 1, f"one content block expected, got {result.content!r}"
    return json.loads(result.content[0].text)


async def case_read(cfg):
    expected = cfg["expected"]
    async with connect(cfg) as session:
        init = await session.initialize()
        assert init.server_info.name == "relay", init.server_info
        assert init.capabilities.tools is not None, init.capabilities
        assert init.capabilities.resources is not None, init.capabilities

        # Every tool with its schema exactly as the registry describes it, and its permission.
        tools = {t.name: t for t in (await session.list_tools()).tools}
        want = {s["name"]: s for s in expected["specs"]}
        assert sorted(tools) == sorted(want), f"tools {sorted(tools)} != {sorted(want)}"
        for name, spec in want.items():
            got = tools[name].input_schema
            assert got == spec["parameters"], f"{name}: schema {got} != {spec['parameters']}"
            assert tools[name].description == spec["description"], name
            meta = tools[name].meta or {}
            assert meta.get("dev.relay/permission") == spec["permission"], (name, meta)
            assert meta.get("dev.relay/granted") == (spec["permission"] == "read"), (name, meta)
            assert tools[name].annotations.read_only_hint == (spec["permission"] == "read"), name

        # Status of the real repositories.
        status = await session.call_tool("project_status", {})
        assert not status.is_error, status
        text = status.content[0].text
        for repo in expected["repos"]:
            assert repo in text, f"{repo} missing from project_status: {text}"
        assert "main" in text, f"the branch is missing from project_status: {text}"

        # Impact from the real graph.
        impact = await session.call_tool("impact_analysis", {"repos": ["shared-api"]})
        assert not impact.is_error, impact
        got = payload(impact)
        want_impact = expected["impact"]
        assert got["direct_dependents"] == want_impact["direct"], got
        assert got["all_dependents"] == want_impact["transitive"], got
        assert got["batches"] == want_impact["batches"], got
        assert impact.structured_content == got, impact.structured_content

        graph = payload(await session.call_tool("dependency_graph", {}))
        assert graph["repos"] == expected["graph"]["repos"], graph
        assert graph["edges"] == expected["graph"]["edges"], graph

        # Resources: the graph and each repository's status.
        uris = sorted(str(r.uri) for r in (await session.list_resources()).resources)
        want_uris = sorted(
            ["relay://graph", "relay://status"] + [f"relay://status/{r}" for r in expected["repos"]]
        )
        assert uris == want_uris, uris
        graph_res = await session.read_resource("relay://graph")
        assert json.loads(graph_res.contents[0].text)["edges"] == expected["graph"]["edges"]
        one = json.loads((await session.read_resource("relay://status/backend")).contents[0].text)
        assert one["name"] == "backend", one
        try:
            await session.read_resource("relay://status/nope")
            raise AssertionError("reading an unknown resource must fail")
        except Exception as e:  # an MCP error, not a broken connection
            assert "no resource `relay://status/nope`" in str(e), str(e)

        # Bad arguments: a tool error with the registry's hint, and the connection lives on.
        bad = await session.call_tool("impact_analysis", {"repos": "shared-api"})
        assert bad.is_error, bad
        err = payload(bad)
        assert "invalid arguments for `impact_analysis`" in err["error"], err
        assert "`repos`: expected array, got string" in err["error"], err
        assert err["hint"] == "fix the arguments to match the tool's parameter schema and call it again", err

        # Without permission: refused as a tool error saying which permission it needs.
        refused = await session.call_tool("sync_repos", {})
        assert refused.is_error, refused
        err = payload(refused)
        assert err["error"] == "`sync_repos` needs the `write_repos` permission, which this session was not granted", err
        assert err["hint"] == "tell the user this action is not allowed in this session", err

        unknown = await session.call_tool("no_such_tool", {})
        assert unknown.is_error and "unknown tool `no_such_tool`" in payload(unknown)["error"]

        # Still alive after every bad call.
        again = await session.call_tool("impact_analysis", {"repos": ["backend"]})
        assert not again.is_error, again
    print("PASS read")


def sleeping(marker):
    """PIDs of processes whose command line is `sleep <marker>`."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[:2] == [b"sleep", marker.encode()]:
                    found.append(int(pid))
        except OSError:
            pass
    return found


async def case_long(cfg):
    async with connect(cfg, allow="write_repos,run_agent") as session:
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert tools["sync_repos"].meta["dev.relay/granted"] is True

        # A long tool: progress notifications while it fetches each repository.
        progress = []

        async def on_progress(value, total, message):
            progress.append((value, total, message))

        synced = await session.call_tool("sync_repos", {}, progress_callback=on_progress)
        assert not synced.is_error, synced
        assert progress, "sync_repos sent no progress notification"
        values = [p[0] for p in progress]
        assert values == sorted(values) and len(set(values)) == len(values), values
        messages = " | ".join(p[2] or "" for p in progress)
        for repo in cfg["expected"]["repos"]:
            assert repo in messages, f"no progress about {repo}: {messages}"

        # Cancelling a running agent task stops it: the process it started is gone.
        marker = "987" if cfg["transport"] == "stdio" else "986"
        started = anyio.Event()
        agent_progress = []

        async def on_agent_progress(value, total, message):
            agent_progress.append(message)
            started.set()

        async def run_agent():
            await session.call_tool(
                "run_agent_task",
                {"task": f"sleep {marker}", "repos": ["shared-api"]},
                progress_callback=on_agent_progress,
            )
            raise AssertionError("the agent task finished although it was cancelled")

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run_agent)
                await started.wait()
                with anyio.fail_after(30):
                    while not sleeping(marker):
                        await anyio.sleep(0.05)
                tg.cancel_scope.cancel()
        assert any("shared-api" in (m or "") for m in agent_progress), agent_progress
        with anyio.fail_after(30):
            while sleeping(marker):
                await anyio.sleep(0.05)

        # The session is still usable after the cancellation.
        after = await session.call_tool("impact_analysis", {"repos": ["shared-api"]})
        assert not after.is_error, after
    print("PASS long")


async def case_unauthorized(cfg):
    async with create_mcp_http_client(headers={"Authorization": "Bearer wrong"}) as http:
        response = await http.post(cfg["url"], json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert response.status_code == 401, response.status_code
        assert "bearer token" in response.text, response.text
    print("PASS unauthorized")


async def case_elicit(cfg):
    """push_branches needs approval: this client declares elicitation; its user declines once,
    then accepts. Nothing is pushed after the decline (the Rust side checks the origin)."""
    from mcp import types

    asked = []
    answers = iter([types.ElicitResult(action="decline"), types.ElicitResult(action="accept", content={"approve": True})])

    async def on_elicit(context, params):
        asked.append(params)
        return next(answers)

    async with connect(cfg, allow="write_repos", elicitation=on_elicit) as session:
        await session.initialize()
        refused = await session.call_tool("push_branches", {"repos": ["backend"]})
        assert refused.is_error, refused
        error = payload(refused)["error"]
        assert error.startswith("`push_branches` was not run: the user"), error
        assert len(asked) == 1, asked
        message = asked[0].message
        for line in ("Push the checked-out branches of backend to their remotes? Allow it?", "Tool: push_branches", "Target: repositories backend"):
            assert line in message, message
        schema = asked[0].requested_schema
        assert schema["required"] == ["approve"] and schema["properties"]["approve"]["type"] == "boolean", schema
        pushed = await session.call_tool("push_branches", {"repos": ["backend"]})
        assert not pushed.is_error, pushed
        assert [(r["name"], r["action"]) for r in payload(pushed)["repositories"]] == [("backend", "pushed")], payload(pushed)
        assert len(asked) == 2, asked
    print("PASS elicit")


def main():
    case, config = sys.argv[1], sys.argv[2]
    with open(config) as f:
        cfg = json.load(f)
    anyio.run({"read": case_read, "long": case_long, "unauthorized": case_unauthorized, "elicit": case_elicit}[case], cfg)


if __name__ == "__main__":
    main()
