"""A tour of Relay from Python: open a workspace, show its dependency graph, the status of each
repository and what a change to the first one affects, then stream the events of a sync (a job).

    python examples/python/workspace_tour.py [WORKSPACE]      (default: search from the cwd)

Install the package first: scripts/setup/python.sh && scripts/test-bindings.sh python
(or `maturin develop` in bindings/python with the .venv active).
"""

import asyncio
import sys

import relay


async def main(path: str | None) -> None:
    try:
        ws = relay.Workspace.open(path)
    except relay.ConfigError as err:
        sys.exit(f"cannot open the workspace ({err.code}): {err}")

    print(f"workspace {ws.root} ({ws.config_file})")
    print("build order:", " -> ".join("+".join(batch) for batch in ws.graph()["batches"]))

    for repo in await ws.status():
        if repo["error"]:
            print(f"  {repo['name']:<20} {repo['error']}")
            continue
        changes = repo["staged"] + repo["unstaged"] + repo["untracked"]
        print(f"  {repo['name']:<20} {repo['branch'] or '(detached)':<16} {changes} changed paths")

    first = ws.repos()[0]["name"]
    impact = ws.impact([first])
    print(f"a change to {first} affects: {', '.join(impact['transitive']) or 'nothing else'}")

    # Every long operation is a Job: iterate over its events, then await its result. A sync
    # fetches and fast-forwards only (a repository with local changes or no remote is skipped).
    job = ws.sync(repos=[first])
    async for event in job:
        if event["type"] == "repo_finished":
            print(f"  {event['repo']}: {event['summary']}")
    print("job result:", await job.wait())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
