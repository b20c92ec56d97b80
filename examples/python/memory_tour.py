"""Relay's memory from Python: who am I, queue a sync as a durable job and finish it here, save a
conversation, then read the audit log and verify its hash chain.

    python examples/python/memory_tour.py [WORKSPACE] [--store URL]

The store is the workspace's .relay/relay.db unless --store or RELAY_STORE_URL names another
(sqlite:PATH or redis://HOST:PORT/DB).
"""

import argparse
import asyncio
import sys

import relay


async def main(path: str | None, store: str | None) -> None:
    try:
        memory = await relay.Memory.open(path, store=store)
    except relay.RelayError as err:
        sys.exit(f"cannot open Relay's memory ({err.code}): {err}")
    me = memory.whoami()
    print(f"store {memory.store_url}; you are {me['user']} ({me['role']}): {', '.join(me['permissions'])}")

    queued = await memory.enqueue_sync()
    print(f"queued job {queued['id']} ({queued['operation']} of {', '.join(queued['spec']['repos'])})")
    job = await memory.resume_job(queued["id"])
    async for event in job:
        if event["type"] == "repo_finished":
            print(f"  {event['repo']}: {event['outcome']}")
    await job.wait()
    print(f"job {queued['id']}: {(await memory.job(queued['id']))['job']['state']}")

    tools = await memory.tools(session="memory-tour")
    session = await relay.VoiceSession.start(tools, transport="text")
    session.send_text("status")
    async for event in session:
        if event["type"] == "assistant_text":
            break
    session.close()
    saved = await memory.session("memory-tour")
    print(f"session memory-tour: {len(saved['turns'])} turns saved")

    for record in await memory.audit(since="1h", limit=5):
        entry = record["entry"]
        print(f"  audit #{record['seq']} {entry['user']} {entry['action']} {entry['outcome']}")
    verdict = await memory.verify_audit()
    print(f"audit chain: {verdict['status']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", nargs="?")
    parser.add_argument("--store")
    args = parser.parse_args()
    asyncio.run(main(args.workspace, args.store))
