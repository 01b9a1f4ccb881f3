"""``QueueWorker``: arq's worker, which skips the jobs it runs itself without asking Redis.

A real redis-server and arq's own job start (``start_jobs``), called as its poll calls
it; Redis's own command counts (``INFO commandstats``) tell whether it was asked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.worker import func

from switchboard.config import ARQ_IN_PROGRESS_KEY_PREFIX, Redis
from switchboard.testing.waiting import wait_for
from switchboard.worker.arq_worker import QueueWorker

DEADLINE = 5.0


class HeldJob:
    """A job function that runs until released, counting its runs."""

    def __init__(self) -> None:
        self.runs = 0
        self.release = asyncio.Event()

    async def run(self, ctx: dict[str, Any]) -> None:
        self.runs += 1
        await self.release.wait()


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    arq_pool = await create_pool(
        RedisSettings.from_dsn(redis_url),
        job_serializer=orjson.dumps,
        job_deserializer=orjson.loads,
    )
    try:
        yield arq_pool
    finally:
        await arq_pool.aclose()


def _worker(pool: ArqRedis, job: HeldJob) -> QueueWorker:
    return QueueWorker(
        functions=[func(job.run, name="held")],
        redis_pool=pool,
        handle_signals=False,
        keep_result=0,
        job_serializer=orjson.dumps,
        job_deserializer=orjson.loads,
    )


async def _asked(redis: Redis) -> int:
    """How many ``EXISTS`` Redis has answered: arq asks one per job it might start."""
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_exists", {}).get("calls", 0))


async def test_a_job_it_runs_is_skipped_without_asking(pool: ArqRedis, redis_client: Redis) -> None:
    job = HeldJob()
    worker = _worker(pool, job)
    await pool.enqueue_job("held", _job_id="held-here")
    await worker.start_jobs([b"held-here"])
    await wait_for(lambda: job.runs == 1, timeout=DEADLINE, what="the job running")
    asked = await _asked(redis_client)
    for _ in range(3):  # three polls that see it due in the queue again
        await worker.start_jobs([b"held-here"])
    assert await _asked(redis_client) == asked
    assert job.runs == 1
    job.release.set()
    await asyncio.wait_for(worker.tasks["held-here"], DEADLINE)
    # Ended here: a poll asks again (and finds it gone from the queue).
    await worker.start_jobs([b"held-here"])
    assert await _asked(redis_client) == asked + 1
    assert job.runs == 1


async def test_a_job_another_worker_runs_is_asked_about_and_skipped(
    pool: ArqRedis, redis_client: Redis
) -> None:
    job = HeldJob()
    worker = _worker(pool, job)
    await pool.enqueue_job("held", _job_id="held-elsewhere")
    await redis_client.psetex(ARQ_IN_PROGRESS_KEY_PREFIX + "held-elsewhere", 10_000, b"1")
    asked = await _asked(redis_client)
    await worker.start_jobs([b"held-elsewhere"])
    assert await _asked(redis_client) == asked + 1
    assert "held-elsewhere" not in worker.tasks
    assert job.runs == 0
