"""A stdio MCP server written with the official Python SDK, configured under `mcp_servers:` in
the tests of crates/relay-cli/tests/mcp_servers.rs.

Tools: lookup (a ticket's state and this process's pid), die_once (exits the first time, while
MARKER does not exist; answers afterwards), die (always exits).
"""

import os
import sys

from mcp.server.mcpserver import MCPServer

MARKER = sys.argv[1]
server = MCPServer("tickets")


@server.tool(description="Looks up a ticket by its id.")
def lookup(ticket: str) -> dict:
    return {"ticket": ticket, "status": "open", "pid": os.getpid()}


@server.tool(description="Exits the server the first time it is called.")
def die_once() -> dict:
    if not os.path.exists(MARKER):
        open(MARKER, "w").close()
        os._exit(3)
    return {"survived": True, "pid": os.getpid()}


@server.tool(description="Always exits the server.")
def die() -> dict:
    os._exit(4)


if __name__ == "__main__":
    server.run("stdio")
