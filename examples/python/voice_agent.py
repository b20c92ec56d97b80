"""Relay's agent and voice layer from Python, offline: a typed conversation (the text transport)
drives the tool registry, an agent run asks a Python permission callback, the agent tool
runs from a tool call, and a tool written in Python answers next to Relay's.

    python examples/python/voice_agent.py WORKSPACE [--realtime URL]

Offline by default: the shell agent (the prompt is a command line) and the text transport. With
``--realtime URL`` the conversation goes to an OpenAI Realtime endpoint instead (key from
OPENAI_API_KEY). For Claude Code, pass ``agent="claude"`` (the `claude` CLI must be installed).
"""

import asyncio
import sys
from typing import Any

import relay


OWNERS = {"shared-api": "platform team", "backend": "payments team", "frontend": "web team"}


def permission(request: dict[str, Any]) -> Any:
    """Decides what the agent may do; may also be an ``async def`` (e.g. asking a person)."""
    if request["tool_name"] == "Bash" and "rm " in request["input"].get("command", ""):
        return {"decision": "deny", "message": "deleting files needs a person's approval"}
    return True


async def converse(session: relay.VoiceSession, utterance: str) -> None:
    """Says ``utterance`` and prints the tool calls and the reply."""
    print(f"you: {utterance}")
    session.send_text(utterance)
    async for event in session:
        if event["type"] == "tool_call_started":
            print(f"  tool {event['name']}({event['arguments']})")
        elif event["type"] == "tool_call_finished":
            print(f"  tool {event['name']} {'ok' if event['ok'] else 'failed'}")
        elif event["type"] == "assistant_text":
            print(f"relay: {event['text']}")
            return  # leaving the loop loses nothing: the next one starts where this stopped


async def main(path: str, realtime_url: str | None) -> None:
    ws = relay.Workspace.open(path)

    # 1. An agent run across the repositories that depend on shared-api, in dependency order.
    job = ws.run_agent("git status --short", agent="shell", affected_by=["shared-api"], permission=permission)
    async for event in job:
        if event["type"] == "agent" and event["event"]["type"] == "output":
            print(f"  [{event['repo']}] {event['event']['line']}")
    report = await job.wait()
    print("agent run:", ", ".join(f"{r['name']} {r['outcome']}" for r in report["repos"]))

    # 2. The tools a voice model calls, including the agent tool.
    tools = relay.Tools(ws, agent="shell", permission=permission)

    # 2b. The application's own tool, next to Relay's (plain or async def; runs on this loop).
    @tools.tool(parameters={"type": "object", "properties": {"repo": {"type": "string"}}, "required": ["repo"]})
    def repo_owner(args: dict[str, Any]) -> dict[str, str]:
        """Who owns a repository: the team to ask about it."""
        return {"repo": args["repo"], "owner": OWNERS.get(args["repo"], "nobody yet")}

    print("tools:", ", ".join(spec["name"] for spec in tools.specs()))

    # 3. A conversation over those tools.
    if realtime_url:
        session = await relay.VoiceSession.start(tools, url=realtime_url)
    else:
        session = await relay.VoiceSession.start(tools, transport="text")
    async with session:
        await converse(session, "what is the impact of shared-api")
        await converse(session, "switch to backend")
        await converse(session, '/repo_owner {"repo": "backend"}')
    print("primary project:", tools.primary_project())


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    url = args[args.index("--realtime") + 1] if "--realtime" in args else None
    asyncio.run(main(args[0], url))
