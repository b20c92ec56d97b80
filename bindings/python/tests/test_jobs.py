"""Jobs from Python: async iteration, results, errors and cancellation, through the real
relay_core::Job machinery (the synthetic job emits real events on the real runtime)."""

import asyncio

import pytest

import relay
from relay._testing import synthetic_job


def test_version_is_the_crate_version():
    assert relay.version() == relay.__version__
    assert relay.version().count(".") == 2


async def test_async_for_yields_every_event_in_order_as_dicts():
    job = synthetic_job(2500)
    events = [event async for event in job]
    assert len(events) == 2502
    assert [e["seq"] for e in events] == list(range(2502))
    assert {e["job"] for e in events} == {job.id}
    assert events[0]["type"] == "job_started"
    assert events[0]["operation"] == "synthetic"
    assert events[0]["total"] == 2500
    assert events[1] == {
        "job": job.id,
        "seq": 1,
        "at_ms": events[1]["at_ms"],
        "type": "progress",
        "done": 1,
        "total": 2500,
        "repo": None,
        "message": "synthetic event",
    }
    assert events[-1]["type"] == "job_finished"
    assert events[-1]["status"] == "succeeded"
    assert await job.wait() == 2500


async def test_wait_without_reading_events_returns_the_result():
    assert await synthetic_job(10_000).wait() == 10_000


async def test_a_failed_job_raises_repo_error_with_code_and_message():
    job = synthetic_job(3, fail_with="disk full on /srv")
    events = [event async for event in job]
    assert events[-1]["status"] == "failed"
    assert events[-1]["error"] == "disk full on /srv"
    with pytest.raises(relay.RepoError) as info:
        await job.wait()
    assert info.value.code == "synthetic_failure"
    assert str(info.value) == "disk full on /srv"
    assert isinstance(info.value, relay.RelayError)


async def test_cancel_ends_the_stream_and_wait_raises_job_cancelled():
    job = synthetic_job(1_000_000, interval_ms=1000)
    seen = []
    async for event in job:
        seen.append(event)
        if event["type"] == "progress":
            job.cancel()
    assert seen[-1]["type"] == "job_finished"
    assert seen[-1]["status"] == "cancelled"
    assert len(seen) == 3, "no progress may follow the cancellation"
    with pytest.raises(relay.JobCancelledError) as info:
        await job.wait()
    assert info.value.code == "cancelled"


async def test_cancelling_the_awaiting_asyncio_task_cancels_the_rust_job():
    job = synthetic_job(1_000_000, interval_ms=5000)
    # Read until the first progress event: the next one is 5 s away.
    while not any(e["type"] == "progress" for e in await job.next_batch()):
        pass
    task = asyncio.create_task(job.next_batch())
    await asyncio.sleep(0.05)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rest = await asyncio.wait_for(job.next_batch(), timeout=10)
    assert rest[-1]["type"] == "job_finished"
    assert rest[-1]["status"] == "cancelled"
    with pytest.raises(relay.JobCancelledError):
        await job.wait()


async def test_a_task_cancelled_before_it_ever_ran_cancels_the_rust_job():
    job = synthetic_job(1_000_000, interval_ms=5000)
    while not any(e["type"] == "progress" for e in await job.next_batch()):
        pass
    # The Rust call starts when next_batch() is called; the task is cancelled before its
    # coroutine runs, so the coroutine never awaits (or cancels) the Rust future: dropping it
    # must cancel the job all the same.
    task = asyncio.create_task(job.next_batch())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    rest = await asyncio.wait_for(job.next_batch(), timeout=4)
    assert [(e["type"], e.get("status")) for e in rest] == [("job_finished", "cancelled")]


async def test_a_timeout_on_wait_cancels_the_job():
    job = synthetic_job(1_000_000, interval_ms=5000)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(job.wait(), timeout=0.1)
    # The result was being awaited when the task was cancelled: it is gone with the job.
    with pytest.raises(relay.UsageError) as info:
        await job.wait()
    assert info.value.code == "usage"
    assert "already taken" in str(info.value)


async def test_a_second_wait_is_a_usage_error():
    job = synthetic_job(1)
    assert await job.wait() == 1
    with pytest.raises(relay.UsageError):
        await job.wait()
    assert await job.next_batch() is None


def test_exceptions_form_one_hierarchy():
    for cls in (relay.ConfigError, relay.RepoError, relay.JobCancelledError, relay.UsageError, relay.InternalError):
        assert issubclass(cls, relay.RelayError)
    assert issubclass(relay.RelayError, Exception)


def test_job_repr_names_its_id():
    job = synthetic_job(1)
    assert repr(job) == f"<relay.Job id={job.id!r}>"
    job.cancel()


def test_awaitables_need_a_running_loop_and_start_nothing_without_one():
    job = synthetic_job(3)
    with pytest.raises(RuntimeError, match="no running event loop"):
        job.wait()

    async def later():
        return await job.wait()

    # The failed call took nothing: the job still has its result.
    assert asyncio.run(later()) == 3


async def test_a_long_stream_leaves_room_for_other_tasks():
    ticks = 0
    stop = asyncio.Event()

    async def ticker():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    other = asyncio.create_task(ticker())
    count = 0
    async for _event in synthetic_job(200_000):
        count += 1
    stop.set()
    await other
    assert count == 200_002
    assert ticks > 1, "the event loop never ran another task during the stream"
