"""Tools.serve_mcp: Relay's tools and the application's own Python tools served over MCP
(Streamable HTTP), used by the official MCP Python SDK (installed by scripts/setup/mcp.sh)."""

import json
from pathlib import Path

import pytest

import relay

try:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client
except ImportError as e:  # never skip: say what to install
    raise RuntimeError("the MCP tests need the MCP Python SDK in .venv: run scripts/setup/mcp.sh") from e

OWNER_SCHEMA = {
    "type": "object",
    "properties": {"repo": {"type": "string"}},
    "required": ["repo"],
    "additionalProperties": False,
}


async def test_relay_and_python_tools_are_served_to_an_mcp_client(workspace_dir: Path):
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    seen = []

    async def owner(args):
        seen.append(args)
        return {"repo": args["repo"], "owner": "payments team"}

    tools.register("owner", owner, description="Who owns a repository.", parameters=OWNER_SCHEMA)
    server = tools.serve_mcp(token="t0ken")
    assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/mcp"), server.url
    try:
        headers = {"Authorization": "Bearer t0ken"}
        async with create_mcp_http_client(headers=headers) as http:
            async with streamable_http_client(server.url, http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    await session.initialize()
                    listed = {t.name: t for t in (await session.list_tools()).tools}
                    assert listed["owner"].input_schema == OWNER_SCHEMA
                    assert listed["owner"].description == "Who owns a repository."
                    assert "impact_analysis" in listed and "sync_repos" in listed

                    mine = await session.call_tool("owner", {"repo": "backend"})
                    assert not mine.is_error, mine
                    assert json.loads(mine.content[0].text) == {"repo": "backend", "owner": "payments team"}
                    assert seen == [{"repo": "backend"}]

                    impact = await session.call_tool("impact_analysis", {"repos": ["shared-api"]})
                    assert json.loads(impact.content[0].text)["direct_dependents"] == ["backend"]

                    bad = await session.call_tool("owner", {"repo": 7})
                    assert bad.is_error
                    assert "`repo`: expected string, got integer" in json.loads(bad.content[0].text)["error"]

                    # Read-only unless widened.
                    refused = await session.call_tool("sync_repos", {})
                    assert refused.is_error
                    assert "needs the `write_repos` permission" in json.loads(refused.content[0].text)["error"]
        async with create_mcp_http_client(headers={"Authorization": "Bearer wrong"}) as http:
            response = await http.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
            assert response.status_code == 401
    finally:
        server.close()


async def test_bad_addresses_and_permissions_are_usage_errors(workspace_dir: Path):
    tools = relay.Tools(relay.Workspace.open(workspace_dir))
    with pytest.raises(relay.UsageError, match="`nowhere` is not an address to listen on"):
        tools.serve_mcp(http="nowhere")
    with pytest.raises(relay.UsageError, match="unknown permission `root`"):
        tools.serve_mcp(allow=["root"])
